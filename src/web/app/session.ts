// The signed-in session: the access token in memory only, the refresh token in localStorage.
//
// Why localStorage and not a cookie: the API takes the refresh token in the refreshToken mutation's
// arguments (no cookie is ever set or read, so there is no CSRF surface), and a page that reloads must
// find it again. What a script injected into the page could read is limited by the strict CSP (no
// inline or foreign scripts), and a stolen refresh token is single-use: using it twice ends the session.

const REFRESH_KEY = 'payamak.refreshToken';

export interface SessionUser {
  id: string;
  username: string;
  displayName: string;
  role?: string | null | undefined;
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  user: SessionUser;
}

type Listener = () => void;

class Session {
  #accessToken: string | null = null;
  #user: SessionUser | null = null;
  #listeners = new Set<Listener>();

  get accessToken(): string | null {
    return this.#accessToken;
  }

  get user(): SessionUser | null {
    return this.#user;
  }

  get refreshToken(): string | null {
    try {
      return localStorage.getItem(REFRESH_KEY);
    } catch {
      return null;
    }
  }

  signedIn(tokens: Tokens): void {
    this.#accessToken = tokens.accessToken;
    this.#user = tokens.user;
    localStorage.setItem(REFRESH_KEY, tokens.refreshToken);
    this.#emit();
  }

  signedOut(): void {
    this.#accessToken = null;
    this.#user = null;
    localStorage.removeItem(REFRESH_KEY);
    this.#emit();
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(): void {
    for (const listener of this.#listeners) listener();
  }
}

export const session = new Session();
