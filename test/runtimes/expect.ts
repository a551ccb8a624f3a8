/** The assertions every runtime's round trip shares. */
import { expect } from 'vitest';
import type { roundTrip } from './packed.js';

type Trip = Awaited<ReturnType<typeof roundTrip>>;

/** New → restored (value kept) → tampered cookie = a fresh session, all on one backend, which is returned. */
export function expectRoundTrip({ first, second, tampered }: Trip): string {
  expect(first.status).toBe(200);
  expect(first.body).toMatchObject({ n: 1, isNew: true, reason: 'absent' });
  expect(first.cookie).toMatch(/^[A-Za-z0-9_-]{80,}$/);
  expect(second.status).toBe(200);
  expect(second.body).toMatchObject({ n: 2, isNew: false, reason: null });
  expect(tampered.status).toBe(200);
  expect(tampered.body).toMatchObject({ n: 1, isNew: true, reason: 'invalid' });
  expect(second.body.backend).toBe(first.body.backend);
  expect(tampered.body.backend).toBe(first.body.backend);
  return first.body.backend;
}
