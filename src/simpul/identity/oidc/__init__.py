"""The region's OpenID Connect provider (decision 0057): discovery, JWKS, authorization code
with PKCE, tokens, userinfo, revocation, introspection, RP-initiated and back-channel logout."""
