/**
 * The app logic every adapter test app runs, framework-free: each framework's
 * app only wires routes to `runOp` and sets its own cookie its own way.
 */
import type { RequestSession } from '../../src/adapters/request-session.js';

export interface AppState {
  count: number;
  user: string | null;
  isNew: boolean;
  reason: string | null;
  sid: string;
  saved: boolean;
}

export type Op = 'count' | 'peek' | 'login' | 'logout' | 'auto' | 'own' | 'boom';

/** Remember-me tokens (psk → user), per app. */
export type Remembered = Map<string, string>;

export function state(s: RequestSession): AppState {
  const v = s.getValue();
  return { count: v.int('count'), user: v.has('user') ? v.string('user') : null, isNew: s.isNew(), reason: s.reason, sid: s.sessionID(), saved: s.isSaved() };
}

let pskCounter = 0;

/** Runs `op` on the request's session; query parameters: `user`, `remember=1`, `refresh=1`. */
export async function runOp(op: Op, s: RequestSession, q: URLSearchParams, remembered: Remembered): Promise<AppState> {
  const v = s.getValue();
  switch (op) {
    case 'count':
    case 'own':
      v.set('count', v.int('count') + 1);
      if (q.get('refresh') === '1') await s.refresh();
      break;
    case 'peek':
      break;
    case 'boom':
      // A handler that fails after changing the session: the change must not be saved.
      v.set('count', v.int('count') + 1);
      v.set('boom', true);
      throw new Error('handler failed (test)');
    case 'login': {
      const user = q.get('user') ?? 'alice';
      v.set('user', user);
      await s.refresh();
      if (q.get('remember') === '1') {
        const psk = `psk-${++pskCounter}-${Math.random().toString(36).slice(2)}`;
        remembered.set(psk, user);
        s.remember(psk);
      }
      break;
    }
    case 'logout': {
      const psk = s.remembered();
      if (psk !== null) remembered.delete(psk);
      await s.destroy();
      s.forget();
      break;
    }
    case 'auto': {
      if (!v.has('user')) {
        const psk = s.remembered();
        const user = psk === null ? undefined : remembered.get(psk);
        if (user !== undefined) {
          s.getValue().set('user', user);
          await s.refresh();
        }
      }
      break;
    }
  }
  return state(s);
}

export const OPS: readonly Op[] = ['count', 'peek', 'login', 'logout', 'auto', 'own', 'boom'];
