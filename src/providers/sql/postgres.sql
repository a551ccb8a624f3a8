-- wasm-session PostgresProvider schema (table wasm_sessions); createSchema() runs this.
CREATE TABLE IF NOT EXISTS "wasm_sessions" (
  id         text PRIMARY KEY,  -- prefix + hex SHA-256 of the session ID (never the ID itself)
  data       jsonb NOT NULL,    -- session key -> that key's JSON text (a JSON string)
  expires_at timestamptz,       -- idle expiry, server clock; NULL = none
  user_id    text,              -- the bound user (session.login), NULL for anonymous sessions
  meta       text,              -- login metadata (JSON: user, label, login time, ID issue time)
  hint       text,              -- the first characters of the session ID, for listings
  alias      text,              -- during a renewal's grace window: the sealed new ID
  alias_ref  text               -- ... and its row's id
) WITH (fillfactor = 80);       -- room on each page for in-place (HOT) updates of saves
CREATE INDEX IF NOT EXISTS "wasm_sessions_expires_at" ON "wasm_sessions" (expires_at);
CREATE INDEX IF NOT EXISTS "wasm_sessions_user_id" ON "wasm_sessions" (user_id) WHERE user_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS "wasm_sessions_revoked" (
  id         text PRIMARY KEY,  -- the revoked session's row id
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS "wasm_sessions_revoked_expires_at" ON "wasm_sessions_revoked" (expires_at);
