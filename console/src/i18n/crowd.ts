/**
 * The crowd views' sentences (map layers, zone crowd card, mobile-network figures) in both languages, apart from
 * the main dictionaries so that the crowd views stay one piece; `ct(key, params)` works like `t`.
 */

import { language, type Params } from "./index";

const en = {
  "layers.title": "Map layers",
  "layers.heat": "Crowd density (heatmap)",
  "layers.levels": "Levels of service",
  "layers.legend": "p/m²",
  "card.title": "Crowd — last {hours} h",
  "card.loading": "Loading the crowd picture…",
  "card.failed": "The crowd picture could not be loaded: {detail}",
  "card.noFigure": "No crowd figure for this zone yet.",
  "card.latest": "{people} people (± {sd}) · {density} p/m²",
  "card.forecast": "In {minutes} min: {people} ({low}–{high})",
  "card.thresholds": "Amber from {amber} p/m² ({amberPeople} people), red from {red} p/m² ({redPeople} people) — {posture} crowd",
  "posture.standing": "standing",
  "posture.moving": "moving",
  "chart.fused": "People (fused) ± sd",
  "chart.forecast": "Forecast 15/30 min (band: interval)",
  "chart.amber": "Amber",
  "chart.red": "Red",
  "chart.now": "now",
  "chart.label": "People in the zone over the last hours, with the forecast and the thresholds",
  "sources.title": "Sources of the latest figure",
  "sources.none": "No source fed the latest figure.",
  "sources.share": "{share} % of the figure",
  "sources.says": "says {people} ({time})",
  "sources.devices": "devices: {devices}",
  "source.counter": "Gate counters (people in and out)",
  "source.occupancy": "Occupancy counters",
  "source.video": "Cameras",
  "source.mobile": "Mobile network",
  "mobile.title": "Mobile-network data",
  "mobile.none": "No mobile-network data for this zone.",
  "mobile.slot": "Slot {start}–{end} · {operator} (market share {share} %)",
  "mobile.privacy": "Counts of fewer than k = {k} subscribers are withheld",
  "mobile.noise": "noise ε = {epsilon}",
  "mobile.fewer": "fewer than {k}",
  "mobile.present": "Present",
  "mobile.residents": "Residents",
  "mobile.visitors": "Visitors",
  "mobile.day_visitors": "Day visitors",
  "mobile.origins": "Where they come from",
  "mobile.flowsIn": "Arrived from",
  "mobile.flowsOut": "Left for",
  "mobile.noOrigins": "none published",
  "mobile.unresolved": "The cell plan does not tell this zone apart (its cells hold {share} % of its people for it alone): these figures are not fused into its count.",
  "mobile.departement": "dept. {code}",
  "mobile.country": "{code}",
} as const;

export type CrowdKey = keyof typeof en;

const fr: Record<CrowdKey, string> = {
  "layers.title": "Calques",
  "layers.heat": "Densité de foule (carte de chaleur)",
  "layers.levels": "Niveaux de service",
  "layers.legend": "pers./m²",
  "card.title": "Foule — dernières {hours} h",
  "card.loading": "Chargement de la foule…",
  "card.failed": "Chargement de la foule impossible : {detail}",
  "card.noFigure": "Pas encore de chiffre de foule pour cette zone.",
  "card.latest": "{people} personnes (± {sd}) · {density} pers./m²",
  "card.forecast": "Dans {minutes} min : {people} ({low}–{high})",
  "card.thresholds": "Orange dès {amber} pers./m² ({amberPeople} pers.), rouge dès {red} pers./m² ({redPeople} pers.) — foule {posture}",
  "posture.standing": "statique",
  "posture.moving": "en mouvement",
  "chart.fused": "Personnes (fusion) ± écart type",
  "chart.forecast": "Prévision 15/30 min (bande : intervalle)",
  "chart.amber": "Orange",
  "chart.red": "Rouge",
  "chart.now": "maintenant",
  "chart.label": "Personnes dans la zone ces dernières heures, avec la prévision et les seuils",
  "sources.title": "Sources du dernier chiffre",
  "sources.none": "Aucune source n'a alimenté le dernier chiffre.",
  "sources.share": "{share} % du chiffre",
  "sources.says": "dit {people} ({time})",
  "sources.devices": "capteurs : {devices}",
  "source.counter": "Compteurs d'accès (entrées et sorties)",
  "source.occupancy": "Compteurs d'occupation",
  "source.video": "Caméras",
  "source.mobile": "Réseau mobile",
  "mobile.title": "Données du réseau mobile",
  "mobile.none": "Pas de données du réseau mobile pour cette zone.",
  "mobile.slot": "Créneau {start}–{end} · {operator} (part de marché {share} %)",
  "mobile.privacy": "Les comptes de moins de k = {k} abonnés sont masqués",
  "mobile.noise": "bruit ε = {epsilon}",
  "mobile.fewer": "moins de {k}",
  "mobile.present": "Présents",
  "mobile.residents": "Résidents",
  "mobile.visitors": "Visiteurs",
  "mobile.day_visitors": "Excursionnistes",
  "mobile.origins": "D'où ils viennent",
  "mobile.flowsIn": "Arrivés de",
  "mobile.flowsOut": "Partis vers",
  "mobile.noOrigins": "rien de publié",
  "mobile.unresolved": "Le plan des cellules ne distingue pas cette zone (ses cellules n'y gardent que {share} % de ses personnes) : ces chiffres n'entrent pas dans son comptage.",
  "mobile.departement": "dép. {code}",
  "mobile.country": "{code}",
};

const DICTIONARIES: Record<"en" | "fr", Record<CrowdKey, string>> = { en, fr };

/** The crowd sentence `key` in the current language, `{name}` placeholders filled from `params`. */
export function ct(key: CrowdKey, params?: Params): string {
  const template = DICTIONARIES[language()][key];
  if (params === undefined) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}
