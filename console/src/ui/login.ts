/**
 * The login page: organisation (prefilled), user name, password, language; an error line for refused
 * credentials. Stable ids for the browser tests: #login-tenant, #login-username, #login-password, #login-submit,
 * #login-error.
 */

import { ApiError, type ApiClient } from "../api";
import { type MessageKey, onLanguageChange, t } from "../i18n";
import type { Language, TokenOut } from "../types";
import { h, text, translateTree } from "./dom";
import { languageSwitch } from "./language-switch";

export interface LoginOptions {
  api: ApiClient;
  defaultTenant: string | null;
  /** Why the user is here again (session ended…), shown above the form. */
  notice: MessageKey | null;
  chooseLanguage: (language: Language) => void;
  loggedIn: (token: TokenOut) => void;
}

/** Draw the login page into `root`; returns its cleanup. */
export function renderLogin(root: HTMLElement, options: LoginOptions): () => void {
  const tenant = h("input", {
    id: "login-tenant",
    name: "tenant",
    autocomplete: "organization",
    required: true,
    value: options.defaultTenant ?? "",
  });
  const username = h("input", { id: "login-username", name: "username", autocomplete: "username", required: true });
  const password = h("input", {
    id: "login-password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const error = h("p", { id: "login-error", class: "login-error", role: "alert", "aria-live": "assertive" });
  error.hidden = true;
  const submit = text("button", "login.submit", { id: "login-submit", type: "submit", class: "primary" });
  const notice = options.notice === null ? null : text("p", options.notice, { class: "login-notice" });
  const switcher = languageSwitch(options.chooseLanguage);

  const field = (key: MessageKey, input: HTMLInputElement) =>
    h("label", { class: "field", for: input.id }, text("span", key), input);

  const form = h(
    "form",
    { class: "login-form", novalidate: true },
    h("div", { class: "login-head" }, h("h1", {}, "Beffroi"), switcher.element),
    text("p", "app.tagline", { class: "login-tagline" }),
    text("h2", "login.title"),
    notice,
    field("login.tenant", tenant),
    field("login.username", username),
    field("login.password", password),
    error,
    submit,
  );

  let errorKey: { key: MessageKey; detail?: string } | null = null;
  const showError = () => {
    error.hidden = errorKey === null;
    if (errorKey !== null) error.textContent = t(errorKey.key, { detail: errorKey.detail ?? "" });
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!tenant.value.trim() || !username.value.trim() || !password.value) {
      errorKey = { key: "login.failed", detail: "—" };
      for (const input of [tenant, username, password]) if (!input.value.trim()) input.setAttribute("aria-invalid", "true");
      showError();
      return;
    }
    submit.disabled = true;
    submit.textContent = t("login.busy");
    options.api
      .login(tenant.value.trim(), username.value.trim(), password.value)
      .then((token) => options.loggedIn(token))
      .catch((failure: unknown) => {
        if (failure instanceof ApiError && failure.status === 401) errorKey = { key: "login.invalid" };
        else errorKey = { key: "login.failed", detail: failure instanceof Error ? failure.message : String(failure) };
        password.value = "";
        showError();
        password.focus();
      })
      .finally(() => {
        submit.disabled = false;
        submit.textContent = t("login.submit");
      });
  });
  for (const input of [tenant, username, password]) {
    input.addEventListener("input", () => input.removeAttribute("aria-invalid"));
  }

  root.replaceChildren(h("main", { class: "login-page" }, form));
  (tenant.value ? username : tenant).focus();
  const stop = onLanguageChange(() => {
    translateTree(root);
    showError();
  });
  return () => {
    stop();
    switcher.dispose();
  };
}
