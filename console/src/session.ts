/**
 * The signed-in user: the token and who it names, kept in sessionStorage (gone when the tab closes), and the
 * language choice, kept in localStorage.
 */

import type { Language, TokenOut } from "./types";

export interface Session {
  token: string;
  expiresAt: number;
  tenant: string;
  username: string;
  role: string;
}

const SESSION_KEY = "beffroi.session";
const LANGUAGE_KEY = "beffroi.language";

/** The session kept for this tab, or null when there is none, it is malformed or it has expired. */
export function loadSession(storage: Storage, nowS: number): Session | null {
  const text = storage.getItem(SESSION_KEY);
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as Partial<Session>;
    if (
      typeof value.token !== "string" ||
      typeof value.expiresAt !== "number" ||
      typeof value.tenant !== "string" ||
      typeof value.username !== "string" ||
      typeof value.role !== "string"
    ) {
      return null;
    }
    if (value.expiresAt <= nowS) return null;
    return value as Session;
  } catch {
    return null;
  }
}

export function sessionFromToken(token: TokenOut): Session {
  return {
    token: token.access_token,
    expiresAt: token.expires_at,
    tenant: token.tenant,
    username: token.username,
    role: token.role,
  };
}

export function saveSession(storage: Storage, session: Session): void {
  storage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function forgetSession(storage: Storage): void {
  storage.removeItem(SESSION_KEY);
}

export function loadLanguage(storage: Storage): Language | null {
  const value = storage.getItem(LANGUAGE_KEY);
  return value === "fr" || value === "en" ? value : null;
}

export function saveLanguage(storage: Storage, language: Language): void {
  storage.setItem(LANGUAGE_KEY, language);
}
