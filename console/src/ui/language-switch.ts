/** The FR / EN buttons (`[data-lang=fr]`, `[data-lang=en]`), the current one pressed. */

import { language, LANGUAGES, onLanguageChange } from "../i18n";
import type { Language } from "../types";
import { h } from "./dom";

/** The switch; `choose` is called with the language clicked. Returns the element and its cleanup. */
export function languageSwitch(choose: (language: Language) => void): { element: HTMLElement; dispose: () => void } {
  const buttons = LANGUAGES.map((code) =>
    h(
      "button",
      { type: "button", class: "lang-button", "data-lang": code, "aria-pressed": String(code === language()) },
      code.toUpperCase(),
    ),
  );
  for (const button of buttons) {
    button.addEventListener("click", () => choose(button.dataset.lang as Language));
  }
  const element = h("div", { class: "lang-switch", role: "group", "data-i18n-label": "top.language" }, ...buttons);
  const dispose = onLanguageChange((current) => {
    for (const button of buttons) button.setAttribute("aria-pressed", String(button.dataset.lang === current));
  });
  return { element, dispose };
}
