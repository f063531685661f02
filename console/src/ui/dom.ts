/** Building DOM elements in one expression, and keeping `data-i18n` text in the current language. */

import { type MessageKey, t } from "../i18n";

type Attributes = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;
export type Child = Node | string | null | undefined | false;

/**
 * `h("button", {class: "x", "data-action": "clear", onclick: fn}, "Clear")`: attributes set as given (`false`,
 * null and undefined omitted, `true` as an empty attribute), `on…` functions as listeners.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
}

/** An element whose text is the translation of `key`, kept in the current language by `translateTree`. */
export function text<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  key: MessageKey,
  attributes: Attributes = {},
): HTMLElementTagNameMap[K] {
  const element = h(tag, { ...attributes, "data-i18n": key });
  element.textContent = t(key);
  return element;
}

/** Put every `data-i18n` (text), `data-i18n-title` and `data-i18n-label` (aria-label) under `root` in the language. */
export function translateTree(root: ParentNode): void {
  for (const element of root.querySelectorAll<HTMLElement>("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n as MessageKey);
  }
  for (const element of root.querySelectorAll<HTMLElement>("[data-i18n-title]")) {
    element.title = t(element.dataset.i18nTitle as MessageKey);
  }
  for (const element of root.querySelectorAll<HTMLElement>("[data-i18n-label]")) {
    element.setAttribute("aria-label", t(element.dataset.i18nLabel as MessageKey));
  }
}

/** Replace the children of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}
