// A real OpenID Connect provider (the `oidc-provider` package, with its own login and
// consent pages) on a loopback port, for heard's single sign-on tests.
//
//   node provider.mjs '{"port": 0, "client_id": "…", "client_secret": "…",
//                       "redirect_uris": ["http://127.0.0.1:8080/signin/sso/callback"],
//                       "accounts": {"login": {"email": "…", "email_verified": true, …}}}'
//
// Its login page takes any login name with any password and signs in the account of that
// name (the claims given for it; an unknown name has only a `sub`). It prints
// "oidc provider listening on http://127.0.0.1:PORT" when ready; that URL is the issuer.

import Provider from "oidc-provider";
import http from "node:http";

const config = JSON.parse(process.argv[2] || "{}");
const accounts = config.accounts || {};

const server = http.createServer();
server.listen(config.port || 0, "127.0.0.1", () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: config.client_id,
        client_secret: config.client_secret,
        redirect_uris: config.redirect_uris,
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    // PKCE with S256 only, as heard sends it.
    pkce: { required: () => true, methods: ["S256"] },
    scopes: ["openid", "email", "profile", "groups"],
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name"],
      groups: ["groups"],
    },
    async findAccount(_ctx, id) {
      return {
        accountId: id,
        async claims() {
          return { sub: id, ...(accounts[id] || {}) };
        },
      };
    },
    cookies: { keys: ["heard-oidc-test-cookie-key"] },
    // The login and consent pages are the package's own (devInteractions).
    features: { devInteractions: { enabled: true } },
  });
  // The package warns about its development-only pages and keys on every start.
  provider.on("server_error", (_ctx, err) => console.error("oidc provider error:", err));
  server.on("request", provider.callback());
  console.log(`oidc provider listening on ${issuer}`);
});
