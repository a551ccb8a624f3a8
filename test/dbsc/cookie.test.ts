/** DBSC on the cookie provider: the binding travels in the sealed data cookie. */
import { CookieProvider } from '../../src/providers/cookie/provider.js';
import { dbscSuite } from './suite.js';

dbscSuite('cookie', () => new CookieProvider(), { users: false });
