/** Who is signed in (`GET /me`) and what the key may do, for every page. */
import { createContext, useContext } from 'react';
import type { Me, Permission } from './types';

export interface Session {
  me: Me | undefined;
  /** True when the key has the permission (false while `GET /me` has not answered). */
  can: (permission: Permission) => boolean;
}

export const SessionContext = createContext<Session>({ me: undefined, can: () => false });

export const useSession = () => useContext(SessionContext);

export function sessionOf(me: Me | undefined): Session {
  return { me, can: (p) => me?.permissions.includes(p) ?? false };
}
