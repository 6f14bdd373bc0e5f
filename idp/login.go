package idp

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/bcrypt"
)

// Paths of the provider's own pages.
const (
	loginPath     = "/login"
	consentPath   = "/consent"
	loggedOutPath = "/logged-out"
	callbackPath  = "/authorize/callback"
)

// Cookie names.
const (
	sessionCookie = "ag_idp_session"
	csrfCookie    = "ag_idp_csrf"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// dummyHash equalizes timing when the username is unknown.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a real password"), bcrypt.DefaultCost)

type pageData struct {
	Title, ClientName, RequestID, CSRF, Action, Error, Username, Message string
	Scopes                                                               []string
}

// setPageHeaders keeps the pages out of frames and caches and forbids
// every external load (the pages have no external assets).
func setPageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

func (p *Provider) render(w http.ResponseWriter, status int, name string, d pageData) {
	setPageHeaders(w)
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, name, d); err != nil {
		p.log.Error("render page", "page", name, "err", err)
	}
}

func (p *Provider) message(w http.ResponseWriter, status int, title, msg string) {
	p.render(w, status, "message.html", pageData{Title: title, Message: msg})
}

// csrfToken binds a form to the browser (its csrf cookie) and to one auth
// request: HMAC(key, cookie | request ID). It sets the cookie when missing.
func (p *Provider) csrfToken(w http.ResponseWriter, r *http.Request, reqID string) string {
	v := ""
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 20 {
		v = c.Value
	} else {
		v = randomID(24)
		http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/", HttpOnly: true,
			Secure: p.secure, SameSite: http.SameSiteStrictMode})
	}
	return p.csrfMAC(v, reqID)
}

func (p *Provider) csrfMAC(cookie, reqID string) string {
	m := hmac.New(sha256.New, p.csrfKey[:])
	m.Write([]byte(cookie + "|" + reqID))
	return hex.EncodeToString(m.Sum(nil))
}

// checkCSRF verifies a submitted form's token.
func (p *Provider) checkCSRF(r *http.Request, reqID string) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil {
		return false
	}
	return hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(p.csrfMAC(c.Value, reqID)))
}

// loginPage shows the login form, or skips it when the browser already has
// a session that satisfies the request (prompt, max_age, id_token_hint).
func (p *Provider) loginPage(w http.ResponseWriter, r *http.Request) {
	ar, c, ok := p.pendingRequest(w, r.URL.Query().Get("id"))
	if !ok {
		return
	}
	if sess := p.currentSession(r); sess != nil && sessionSatisfies(sess, ar) {
		p.afterLogin(w, r, ar, c, sess)
		return
	}
	if slices.Contains(ar.Prompt, oidc.PromptNone) {
		p.redirectError(w, r, ar, oidc.ErrLoginRequired().WithDescription("login required"))
		return
	}
	p.render(w, http.StatusOK, "login.html", pageData{Title: "Sign in", ClientName: c.name(),
		RequestID: ar.ID, CSRF: p.csrfToken(w, r, ar.ID), Action: p.path(loginPath), Username: ar.LoginHint})
}

// sessionSatisfies reports whether an existing session may answer ar
// without a new login (OIDC Core section 3.1.2.1: prompt, max_age).
func sessionSatisfies(s *sessionRec, ar *authReqRec) bool {
	if slices.Contains(ar.Prompt, oidc.PromptLogin) {
		return false
	}
	if ar.MaxAge != nil && time.Since(s.AuthTime) > time.Duration(*ar.MaxAge)*time.Second {
		return false
	}
	return ar.HintSubject == "" || ar.HintSubject == s.Subject
}

// loginSubmit checks the credentials and the identity's status, records the
// attempt, and starts a session.
func (p *Provider) loginSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		p.message(w, http.StatusBadRequest, "Bad request", "The form could not be read.")
		return
	}
	ar, c, ok := p.pendingRequest(w, r.PostFormValue("id"))
	if !ok {
		return
	}
	if !p.checkCSRF(r, ar.ID) {
		p.message(w, http.StatusForbidden, "Request refused", "The form expired or did not come from this site. Go back and try again.")
		return
	}
	username := strings.TrimSpace(r.PostFormValue("username"))
	u, reason, err := p.checkPassword(username, r.PostFormValue("password"))
	ev := auditRec{Event: "login", Username: username, ClientID: ar.ClientID, Remote: remoteAddr(r)}
	if err != nil {
		p.log.Error("login", "err", err)
		ev.Reason = reason
		p.st.audit(ev)
		p.message(w, http.StatusInternalServerError, "Error", "The account could not be read.")
		return
	}
	if u != nil {
		ev.Subject = u.Subject
	}
	if reason != "" {
		ev.Reason = reason
		p.st.audit(ev)
		msg, status := "Incorrect username or password.", http.StatusUnauthorized
		if reason == "identity "+StatusSuspended || reason == "identity "+StatusOffboarded {
			msg, status = "This account cannot sign in.", http.StatusForbidden
		}
		p.render(w, status, "login.html", pageData{Title: "Sign in", ClientName: c.name(), RequestID: ar.ID,
			CSRF: p.csrfToken(w, r, ar.ID), Action: p.path(loginPath), Error: msg, Username: username})
		return
	}
	sess, err := p.startSession(w, u.Subject)
	if err != nil {
		p.log.Error("start session", "err", err)
		p.message(w, http.StatusInternalServerError, "Error", "The session could not be started.")
		return
	}
	ev.Success = true
	p.st.audit(ev)
	p.afterLogin(w, r, ar, c, sess)
}

// checkPassword returns the user and "" on success, or a reason for the
// audit trail. Unknown users cost a bcrypt comparison too. An error means
// the user's record could not be read; the login must then fail.
func (p *Provider) checkPassword(username, password string) (*userRec, string, error) {
	var u *userRec
	err := p.st.s.db.View(func(tx *bolt.Tx) error {
		sub := tx.Bucket(bktUserName).Get([]byte(username))
		if sub == nil {
			return nil
		}
		var err error
		u, err = user(tx, string(sub))
		return err
	})
	if err != nil {
		return nil, "user record unreadable", fmt.Errorf("check password of %q: %w", username, err)
	}
	hash := dummyHash
	if u != nil && u.PasswordHash != "" {
		hash = []byte(u.PasswordHash)
	}
	pwOK := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
	switch {
	case u == nil:
		return nil, "unknown username", nil
	case !pwOK || u.PasswordHash == "":
		return u, "wrong password", nil
	case !u.active():
		return u, "identity " + u.Status, nil
	}
	return u, "", nil
}

// afterLogin records or reuses consent, then completes the request.
func (p *Provider) afterLogin(w http.ResponseWriter, r *http.Request, ar *authReqRec, c *client, sess *sessionRec) {
	g, err := p.st.grant(sess.Subject, ar.ClientID)
	if err != nil && !errors.Is(err, errNotFound) {
		p.log.Error("read grant", "err", err)
		p.message(w, http.StatusInternalServerError, "Error", "The consent could not be read.")
		return
	}
	consentNeeded := g == nil || !g.covers(ar.Scopes) || slices.Contains(ar.Prompt, oidc.PromptConsent)
	if consentNeeded && !c.rec.SkipConsent {
		if slices.Contains(ar.Prompt, oidc.PromptNone) {
			p.redirectError(w, r, ar, &oidc.Error{ErrorType: "consent_required", Description: "consent required"})
			return
		}
		username := sess.Subject
		if u, err := p.st.userBySubject(sess.Subject); err == nil {
			username = u.Username
		}
		p.render(w, http.StatusOK, "consent.html", pageData{Title: "Allow access", ClientName: c.name(),
			Username: username, Scopes: ar.Scopes, RequestID: ar.ID, CSRF: p.csrfToken(w, r, ar.ID),
			Action: p.path(consentPath)})
		return
	}
	if consentNeeded {
		if g, err = p.st.recordGrant(sess.Subject, ar.ClientID, ar.Scopes); err != nil {
			p.log.Error("record grant", "err", err)
			p.message(w, http.StatusInternalServerError, "Error", "The consent could not be recorded.")
			return
		}
	}
	p.complete(w, r, ar, sess, g)
}

// consentSubmit records the user's decision (a grant) and completes or
// denies the request.
func (p *Provider) consentSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		p.message(w, http.StatusBadRequest, "Bad request", "The form could not be read.")
		return
	}
	ar, _, ok := p.pendingRequest(w, r.PostFormValue("id"))
	if !ok {
		return
	}
	if !p.checkCSRF(r, ar.ID) {
		p.message(w, http.StatusForbidden, "Request refused", "The form expired or did not come from this site. Go back and try again.")
		return
	}
	sess := p.currentSession(r)
	if sess == nil {
		p.message(w, http.StatusForbidden, "Signed out", "Your session ended. Start again from the application.")
		return
	}
	if r.PostFormValue("decision") != "allow" {
		p.st.audit(auditRec{Event: "consent", Subject: sess.Subject, ClientID: ar.ClientID, Reason: "denied"})
		p.redirectError(w, r, ar, oidc.ErrAccessDenied().WithDescription("the user denied access"))
		return
	}
	g, err := p.st.recordGrant(sess.Subject, ar.ClientID, ar.Scopes)
	if err != nil {
		p.log.Error("record grant", "err", err)
		p.message(w, http.StatusInternalServerError, "Error", "The consent could not be recorded.")
		return
	}
	p.st.audit(auditRec{Event: "consent", Subject: sess.Subject, ClientID: ar.ClientID, Success: true,
		Reason: strings.Join(ar.Scopes, " ")})
	p.complete(w, r, ar, sess, g)
}

// complete marks the auth request done and hands it back to the library's
// callback, which issues the code.
func (p *Provider) complete(w http.ResponseWriter, r *http.Request, ar *authReqRec, sess *sessionRec, g *grantRec) {
	err := p.st.updateAuthReq(ar.ID, func(rec *authReqRec) error {
		if rec.Done {
			return errors.New("auth request already completed")
		}
		rec.Subject, rec.AuthTime, rec.AMR = sess.Subject, sess.AuthTime, sess.AMR
		rec.SessionID, rec.GrantID, rec.Done = sess.ID, g.ID, true
		return nil
	})
	if err != nil {
		p.message(w, http.StatusBadRequest, "Request finished", "This sign-in request was already used. Start again from the application.")
		return
	}
	http.Redirect(w, r, p.path(callbackPath)+"?id="+url.QueryEscape(ar.ID), http.StatusFound)
}

// pendingRequest loads an auth request that is still waiting for login.
func (p *Provider) pendingRequest(w http.ResponseWriter, id string) (*authReqRec, *client, bool) {
	ar, err := p.st.authReq(id)
	if err != nil || ar.Done {
		p.message(w, http.StatusBadRequest, "Sign-in expired", "This sign-in request is unknown or expired. Start again from the application.")
		return nil, nil, false
	}
	var c *client
	err = p.st.s.db.View(func(tx *bolt.Tx) (err error) {
		c, err = p.st.loadClient(tx, ar.ClientID)
		return err
	})
	if err != nil {
		p.message(w, http.StatusBadRequest, "Unknown application", "The application is not registered.")
		return nil, nil, false
	}
	return ar, c, true
}

// redirectError sends an authorization error to the request's validated
// redirect_uri (RFC 6749 section 4.1.2.1).
func (p *Provider) redirectError(w http.ResponseWriter, r *http.Request, ar *authReqRec, e *oidc.Error) {
	u, err := url.Parse(ar.RedirectURI)
	if err != nil {
		p.message(w, http.StatusBadRequest, "Error", "The application's redirect address is invalid.")
		return
	}
	q := u.Query()
	q.Set("error", string(e.ErrorType))
	if e.Description != "" {
		q.Set("error_description", e.Description)
	}
	if ar.State != "" {
		q.Set("state", ar.State)
	}
	q.Set("iss", p.issuer)
	u.RawQuery = q.Encode()
	if err := p.st.updateAuthReq(ar.ID, func(rec *authReqRec) error { rec.Done, rec.Consumed = true, true; return nil }); err != nil {
		p.log.Warn("close auth request", "id", ar.ID, "err", err)
	}
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// currentSession returns the browser's live session, if any, whose identity
// is still active.
func (p *Provider) currentSession(r *http.Request) *sessionRec {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	id, secret, ok := strings.Cut(c.Value, ".")
	if !ok {
		return nil
	}
	var sess *sessionRec
	err = p.st.s.db.View(func(tx *bolt.Tx) error {
		s := new(sessionRec)
		if err := getJSON(tx, bktSessions, id, s); errors.Is(err, errNotFound) {
			return nil // no such session
		} else if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare([]byte(hashToken(secret)), []byte(s.SecretHash)) != 1 ||
			!s.live(time.Now()) || !subjectActive(tx, s.Subject) {
			return nil
		}
		sess = s
		return nil
	})
	if err != nil {
		// Fail closed: the browser signs in again.
		p.log.Error("read session", "err", err)
		return nil
	}
	return sess
}

// startSession creates a session and sets its cookie.
func (p *Provider) startSession(w http.ResponseWriter, subject string) (*sessionRec, error) {
	secret := randomID(32)
	now := time.Now().UTC()
	s := &sessionRec{ID: randomID(18), SecretHash: hashToken(secret), Subject: subject, AuthTime: now,
		AMR: []string{"pwd"}, CreatedAt: now, ExpiresAt: now.Add(p.st.sessionTTL())}
	err := p.st.s.db.Update(func(tx *bolt.Tx) error { return putJSON(tx, bktSessions, s.ID, s) })
	if err != nil {
		return nil, err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: s.ID + "." + secret, Path: "/",
		HttpOnly: true, Secure: p.secure, SameSite: http.SameSiteLaxMode, Expires: s.ExpiresAt})
	return s, nil
}

func (p *Provider) loggedOut(w http.ResponseWriter, _ *http.Request) {
	p.message(w, http.StatusOK, "Signed out", "You are signed out.")
}

func remoteAddr(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return host
}
