-- A link in a mail either signs its owner in (a sign-in link, or a sign-up's
-- confirmation) or lets them choose a new password (a reset, or a new staff member's
-- first password). A reset link never signs in by itself, and a sign-in link never
-- changes a password it was not given.
ALTER TABLE signin_links ADD COLUMN purpose TEXT NOT NULL DEFAULT 'signin'
    CHECK (purpose IN ('signin', 'password'));
