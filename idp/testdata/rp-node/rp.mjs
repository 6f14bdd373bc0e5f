// Relying party for the accessgraph OpenID provider tests, using
// openid-client v6. It prints {"authorizationUrl": ...} on one line, reads
// the callback URL the Go test obtained by driving the login from stdin, and
// prints the result of the code exchange, userinfo and refresh as JSON.
import * as client from 'openid-client';
import { createInterface } from 'node:readline';

const { ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI } = process.env;

const config = await client.discovery(new URL(ISSUER), CLIENT_ID, CLIENT_SECRET, undefined, {
  execute: [client.allowInsecureRequests],
});

const codeVerifier = client.randomPKCECodeVerifier();
const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
const state = client.randomState();
const nonce = client.randomNonce();
const authorizationUrl = client.buildAuthorizationUrl(config, {
  redirect_uri: REDIRECT_URI,
  scope: 'openid profile email offline_access',
  code_challenge: codeChallenge,
  code_challenge_method: 'S256',
  state,
  nonce,
});
console.log(JSON.stringify({ authorizationUrl: authorizationUrl.href }));

const rl = createInterface({ input: process.stdin });
const callback = await new Promise((resolve) => rl.once('line', resolve));
rl.close();

const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
  pkceCodeVerifier: codeVerifier,
  expectedState: state,
  expectedNonce: nonce,
  idTokenExpected: true,
});
const claims = tokens.claims();
const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
console.log(JSON.stringify({
  sub: claims.sub,
  sid: claims.sid,
  email: info.email,
  rotated: refreshed.refresh_token !== tokens.refresh_token,
  refreshedSub: refreshed.claims()?.sub,
}));
