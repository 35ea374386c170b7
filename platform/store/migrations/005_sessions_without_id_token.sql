-- Platform security (issue 13): a session no longer keeps the ID token.
-- It was kept only to name the user to the provider at sign-out, in the
-- redirect URL, where browser history kept it; sign-out now names COP's
-- client instead, and an ID token is never a credential COP accepts.
ALTER TABLE sessions DROP COLUMN id_token;
