-- wasm-session SqliteProvider schema (table wasm_sessions); createSchema() runs this (and sets journal_mode=WAL).
CREATE TABLE IF NOT EXISTS "wasm_sessions" (
  id         TEXT PRIMARY KEY NOT NULL,  -- prefix + hex SHA-256 of the session ID (never the ID itself)
  data       TEXT NOT NULL,              -- JSON object: session key -> that key's JSON text (a JSON string)
  expires_at INTEGER,                    -- idle expiry, ms since the epoch; NULL = none
  user_id    TEXT,                       -- the bound user (session.login), NULL for anonymous sessions
  meta       TEXT,                       -- login metadata (JSON: user, label, login, ID and auth times, remember-me series)
  hint       TEXT,                       -- the first characters of the session ID, for listings
  alias      TEXT,                       -- during a renewal's grace window: the sealed new ID
  alias_ref  TEXT                        -- ... and its row's id
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS "wasm_sessions_expires_at" ON "wasm_sessions" (expires_at);
CREATE INDEX IF NOT EXISTS "wasm_sessions_user_id" ON "wasm_sessions" (user_id) WHERE user_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS "wasm_sessions_revoked" (
  id         TEXT PRIMARY KEY NOT NULL,  -- the revoked session's row id
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS "wasm_sessions_revoked_expires_at" ON "wasm_sessions_revoked" (expires_at);
CREATE TABLE IF NOT EXISTS "wasm_sessions_records" (
  id         TEXT PRIMARY KEY NOT NULL,  -- prefix + hex SHA-256 of the record's name (names carry user IDs)
  body       TEXT NOT NULL,              -- the record (remember-me series, device details, eviction marks)
  version    INTEGER NOT NULL,           -- compare-and-set: a write names the version it read
  expires_at INTEGER                     -- ms since the epoch; NULL = none
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS "wasm_sessions_records_expires_at" ON "wasm_sessions_records" (expires_at);
