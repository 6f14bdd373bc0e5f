// Package ad ingests Active Directory from SharpHound / BloodHound CE
// collector output.
package ad
