-- wasm-session PostgresProvider schema (table wasm_sessions); createSchema() runs this.
CREATE TABLE IF NOT EXISTS "wasm_sessions" (
  id         text PRIMARY KEY,  -- prefix + hex SHA-256 of the session ID (never the ID itself)
  data       jsonb NOT NULL,    -- session key -> that key's JSON text (a JSON string)
  expires_at timestamptz,       -- idle expiry, server clock; NULL = none
  user_id    text,              -- the bound user (session.login), NULL for anonymous sessions
  meta       text,              -- login metadata (JSON: user, label, login, ID and auth times, remember-me series)
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
CREATE TABLE IF NOT EXISTS "wasm_sessions_records" (
  id         text PRIMARY KEY,  -- prefix + hex SHA-256 of the record's name (names carry user IDs)
  body       text NOT NULL,     -- the record (remember-me series, device details, eviction marks)
  version    bigint NOT NULL,   -- compare-and-set: a write names the version it read
  expires_at timestamptz        -- server clock; NULL = none
);
CREATE INDEX IF NOT EXISTS "wasm_sessions_records_expires_at" ON "wasm_sessions_records" (expires_at);
