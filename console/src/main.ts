/**
 * The console's entry point: reads the console settings, picks the language, and shows the login page or, for a
 * session still valid in this tab, the console. Only one of the two is ever in the page.
 */

import { ApiClient } from "./api";
import { ConsoleApp } from "./app";
import { isLanguage, language, type MessageKey, onLanguageChange, setLanguage } from "./i18n";
import {
  forgetSession,
  loadLanguage,
  loadSession,
  saveLanguage,
  saveSession,
  type Session,
  sessionFromToken,
} from "./session";
import type { ConsoleConfig, Language } from "./types";
import { renderLogin } from "./ui/login";
import "./styles/base.css";
import "./styles/layout.css";
import "./styles/alarms.css";
import "./styles/map.css";
import "./styles/incidents.css";
import "./styles/cameras.css";
import "./styles/crowd.css";

/** setTimeout's largest delay (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

class Console {
  private readonly root: HTMLElement;
  private readonly api: ApiClient;
  private config: ConsoleConfig | null = null;
  private app: ConsoleApp | null = null;
  private disposeLogin: (() => void) | null = null;
  private expiryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(root: HTMLElement) {
    this.root = root;
    this.api = new ApiClient(() => this.endSession("login.expired"));
  }

  async boot(): Promise<void> {
    this.config = await this.api.config();
    const stored = loadLanguage(localStorage);
    const initial: Language = stored ?? (isLanguage(this.config.default_language) ? this.config.default_language : "fr");
    setLanguage(initial);
    document.documentElement.lang = language();
    onLanguageChange((next) => {
      document.documentElement.lang = next;
      saveLanguage(localStorage, next);
    });
    const session = loadSession(sessionStorage, Date.now() / 1000);
    if (session === null) this.showLogin(null);
    else this.showApp(session);
  }

  private chooseLanguage = (next: Language): void => setLanguage(next);

  private showLogin(notice: MessageKey | null): void {
    this.clearView();
    this.disposeLogin = renderLogin(this.root, {
      api: this.api,
      defaultTenant: this.config?.default_tenant ?? null,
      notice,
      chooseLanguage: this.chooseLanguage,
      loggedIn: (token) => {
        const session = sessionFromToken(token);
        saveSession(sessionStorage, session);
        this.showApp(session);
      },
    });
  }

  private showApp(session: Session): void {
    this.clearView();
    this.api.setToken(session.token);
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, session.expiresAt * 1000 - Date.now()));
    this.expiryTimer = setTimeout(() => this.endSession("login.expired"), delay);
    this.app = new ConsoleApp(this.root, {
      api: this.api,
      config: this.config!,
      session,
      chooseLanguage: this.chooseLanguage,
      logout: () => this.endSession("login.signedOut"),
      sessionEnded: () => this.endSession("login.expired"),
    });
    void this.app.start();
  }

  /** Forget the session and go back to the login page with a notice. */
  private endSession(notice: MessageKey): void {
    if (this.app === null) return; // already on the login page (a 401 there is the form's business)
    forgetSession(sessionStorage);
    this.api.setToken(null);
    this.showLogin(notice);
  }

  private clearView(): void {
    this.app?.dispose();
    this.app = null;
    this.disposeLogin?.();
    this.disposeLogin = null;
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
  }
}

const root = document.getElementById("app");
if (root !== null) void new Console(root).boot();
