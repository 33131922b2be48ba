// A real OpenID provider for the tests: npm's oidc-provider (OpenID Certified) configured as a
// Swedish e-ID broker and an organisation's single sign-on would be.
//
//   node tests/identity/provider.mjs CONFIG.json
//
// CONFIG (written by tests/identity/fixtures.py): the issuer (the address the portal and the
// browser reach it by), the port to listen on, the signing keys (a private JWKS), the clients
// and the path of the accounts file. The accounts file is read again at every sign-in, so a
// test changes a person (their assurance level, a staff member's groups) by rewriting it.
//
// The sign-in page is the provider's own small form: one button per test person. Signing in
// sets the person's `acr` (level of assurance), as an e-ID would, and consent is granted
// without asking (the portal is a first-party client).

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = () => JSON.parse(readFileSync(config.accountsFile, 'utf8'));

const PERSON_NUMBER = 'https://id.oidc.se/claim/personalIdentityNumber';
const NATURAL_PERSON = 'https://id.oidc.se/scope/naturalPersonNumber';

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const provider = new Provider(config.issuer, {
  clients: config.clients,
  jwks: config.jwks,
  acrValues: config.acrValues,
  // The Swedish OIDC profile's scope and claims (https://www.oidc.se), and staff's groups.
  claims: {
    acr: null,
    auth_time: null,
    sid: null,
    openid: ['sub'],
    [NATURAL_PERSON]: [PERSON_NUMBER, 'given_name', 'family_name', 'name'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  // The profile delivers the identity claims in the ID token, not only from userinfo.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  cookies: { keys: [config.cookieKey] },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.body = page('Sign out', `<h1>Sign out of the test provider?</h1>${form}
          <button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>`);
      },
      postLogoutSuccessSource: async (ctx) => {
        ctx.body = page('Signed out', '<h1>You are signed out of the test provider</h1>');
      },
    },
  },
  ttl: {
    AccessToken: 600,
    AuthorizationCode: 60,
    IdToken: 600,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (ctx, id) => {
    const account = accounts()[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...account.claims }) };
  },
  // First-party clients: every requested scope and claim is granted without a consent page.
  loadExistingGrant: async (ctx) => {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
    grant.addOIDCClaims([...ctx.oidc.requestParamClaims]);
    await grant.save();
    return grant;
  },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = page('Error', `<h1>${escape(out.error)}</h1><p>${escape(out.error_description)}</p>`);
  },
});
provider.proxy = true;

function page(title, body) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title} – test provider</title></head>
<body><main>${body}</main></body></html>`;
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString());
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (action === 'login' && req.method === 'POST') {
    const login = (await readForm(req)).get('login');
    const account = accounts()[login];
    if (!account) {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('no such test person');
      return;
    }
    const result = { login: { accountId: login, acr: account.acr, amr: ['pwd'] } };
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    return;
  }
  if (action === 'abort' && req.method === 'POST') {
    const result = { error: 'access_denied', error_description: 'The person cancelled.' };
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    return;
  }
  const people = Object.entries(accounts())
    .map(([id, account]) => `<li><button type="submit" name="login" value="${escape(id)}">`
      + `${escape(account.label || id)}</button></li>`)
    .join('');
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(page('Sign in', `<h1>Test provider: choose a test person</h1>
<form method="post" action="/interaction/${uid}/login"><ul>${people}</ul></form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit">Cancel</button></form>`));
}

const handle = provider.callback();
const server = createServer(async (req, res) => {
  const match = req.url.match(/^\/interaction\/([\w-]+)(?:\/(login|abort))?$/);
  if (!match) {
    handle(req, res);
    return;
  }
  try {
    await interaction(req, res, match[1], match[2]);
  } catch (error) {
    res.writeHead(400, { 'Content-Type': 'text/plain' }).end(String(error));
  }
});
server.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`listening on ${config.port} as ${config.issuer}\n`);
});
