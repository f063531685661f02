/**
 * The signed-in console: loads the registry, lays out the top bar, the map, the side panel (alarms, audit) and the
 * details card, opens the live stream, and routes the operator's clicks and actions. One instance per session.
 */

import { type AlarmAction, canActOnAlarms, canReadAudit, countAlarmsBySite, isHidden } from "./alarms";
import { ApiError, type ApiClient } from "./api";
import { BrowserSocket } from "./browser-socket";
import { CameraDirectory } from "./cameras";
import { canSupervise, countActive, knownDesks } from "./incidents";
import { label, onLanguageChange, t } from "./i18n";
import { LiveClient, liveUrl } from "./live";
import { FlatMapView } from "./map/flat-map";
import type { MapView, Selection } from "./map/view";
import { webglAvailable } from "./map/view";
import { Registry } from "./registry";
import type { Session } from "./session";
import { Poller } from "./poller";
import { LiveStore, type StoreUpdate, touchesIncident } from "./store";
import type { AlarmOut, ConsoleConfig, Language } from "./types";
import { AlarmList } from "./ui/alarm-list";
import { AuditPanel } from "./ui/audit";
import { DetailsPanel } from "./ui/details";
import { h, text, translateTree } from "./ui/dom";
import { IncidentDrawer } from "./ui/incident-detail";
import { IncidentList } from "./ui/incident-list";
import { askShelve } from "./ui/shelve-dialog";
import { SUPERVISION_POLL_MS, SupervisionPanel } from "./ui/supervision";
import { Toaster } from "./ui/toast";
import { ZoneCrowdCard } from "./ui/zone-crowd";
import { TopBar } from "./ui/topbar";

const COUNTS_MS = 500;
const STATUS_TICK_MS = 1000;
/** The camera list (cameras rarely change) is reloaded this often; every 5 s while a camera's view is open. */
const CAMERA_POLL_MS = 30_000;
const CAMERA_OPEN_POLL_MS = 5000;

export interface AppOptions {
  api: ApiClient;
  config: ConsoleConfig;
  session: Session;
  chooseLanguage: (language: Language) => void;
  logout: () => void;
  /** The session is no longer valid (stream 4401, REST 401, token expired). */
  sessionEnded: () => void;
}

type Tab = "alarms" | "incidents" | "audit" | "supervision";

const TAB_KEYS = {
  alarms: "tab.alarms",
  incidents: "tab.incidents",
  audit: "tab.audit",
  supervision: "tab.supervision",
} as const;

export class ConsoleApp {
  private readonly root: HTMLElement;
  private readonly options: AppOptions;
  private readonly store = new LiveStore();
  private readonly toaster = new Toaster();
  private readonly cleanups: (() => void)[] = [];
  private readonly inFlight = new Set<string>();
  private registry: Registry | null = null;
  private map: MapView | null = null;
  private live: LiveClient | null = null;
  private topBar: TopBar | null = null;
  private alarmList: AlarmList | null = null;
  private details: DetailsPanel | null = null;
  private zoneCrowd: ZoneCrowdCard | null = null;
  private audit: AuditPanel | null = null;
  private incidentList: IncidentList | null = null;
  private incidentDrawer: IncidentDrawer | null = null;
  private supervision: SupervisionPanel | null = null;
  private supervisionPoller: Poller | null = null;
  private readonly cameras = new CameraDirectory();
  private cameraPoller: Poller | null = null;
  private cameraOpen = false;
  /** Desks named by the alarm-rate figures, offered when assigning an incident to a desk. */
  private readonly rateDesks = new Set<string>();
  private countsTimer: ReturnType<typeof setTimeout> | null = null;
  private disposed = false;

  constructor(root: HTMLElement, options: AppOptions) {
    this.root = root;
    this.options = options;
  }

  /** Load the registry (with a retry on failure), then build the screen and connect. */
  async start(): Promise<void> {
    this.root.replaceChildren(h("main", { class: "loading-page" }, text("p", "app.loading")));
    const { api } = this.options;
    try {
      const [sites, zones, devices] = await Promise.all([api.sites(), api.zones(), api.devices()]);
      if (this.disposed) return;
      this.registry = new Registry(sites, zones, devices);
    } catch (error) {
      if (this.disposed || (error instanceof ApiError && error.status === 401)) return;
      const retry = text("button", "app.retry", { type: "button", class: "primary" });
      retry.addEventListener("click", () => void this.start());
      this.root.replaceChildren(
        h(
          "main",
          { class: "loading-page" },
          h("p", { class: "error" }, t("app.loadFailed", { what: "/api", detail: error instanceof Error ? error.message : String(error) })),
          retry,
        ),
      );
      return;
    }
    this.build(this.registry);
  }

  dispose(): void {
    this.disposed = true;
    this.live?.stop();
    this.map?.destroy();
    this.alarmList?.dispose();
    this.details?.dispose();
    this.zoneCrowd?.dispose();
    this.incidentList?.dispose();
    this.incidentDrawer?.dispose();
    this.supervisionPoller?.stop();
    this.cameraPoller?.stop();
    this.topBar?.dispose();
    if (this.countsTimer !== null) clearTimeout(this.countsTimer);
    for (const cleanup of this.cleanups) cleanup();
  }

  private build(registry: Registry): void {
    const { api, config, session } = this.options;
    const canAct = canActOnAlarms(session.role);
    const now = () => Math.max(Date.now() / 1000, this.store.dataTime);
    const select = (selection: Selection | null, move: boolean) => this.select(selection, move);
    const act = (alarm: AlarmOut, action: AlarmAction) => void this.act(alarm, action);

    this.topBar = new TopBar({
      username: session.username,
      role: session.role,
      chooseLanguage: this.options.chooseLanguage,
      logout: this.options.logout,
    });
    this.alarmList = new AlarmList({ registry, store: this.store, canAct, now, act, select: (id) => select({ kind: "alarm", id }, true) });
    this.details = new DetailsPanel({ api, registry, store: this.store, cameras: this.cameras, canAct, now, act, select, close: () => select(null, false) });
    this.zoneCrowd = new ZoneCrowdCard(api, registry);
    this.details.element.append(this.zoneCrowd.element); // a zone's card ends with its crowd picture

    const incidentList = new IncidentList({
      registry,
      username: session.username,
      now,
      open: (incidentId) => this.openIncident(incidentId),
    });
    this.incidentList = incidentList;
    this.incidentDrawer = new IncidentDrawer({
      api,
      registry,
      cameras: this.cameras,
      openCamera: (cameraId) => this.select({ kind: "camera", id: cameraId }, true),
      role: session.role,
      username: session.username,
      toaster: this.toaster,
      now,
      selectAlarm: (alarm) => this.selectIncidentAlarm(alarm),
      incidents: () => incidentList.all,
      desks: () => knownDesks(incidentList.all, this.rateDesks),
      changed: (result) => this.store.applyIncidentActionResult(result),
      closed: () => incidentList.select(null),
    });

    const supervisor = canSupervise(session.role);
    const tabs: Tab[] = ["alarms", "incidents"];
    if (canReadAudit(session.role)) tabs.push("audit");
    if (supervisor) tabs.push("supervision");
    const tabButtons = tabs.map((tab) =>
      h(
        "button",
        { type: "button", role: "tab", class: "tab", "data-tab": tab, "aria-selected": String(tab === "alarms") },
        text("span", TAB_KEYS[tab]),
        tab === "alarms" ? h("span", { class: "tab-count", id: "alarm-total" }, "0") : null,
        tab === "incidents" ? h("span", { class: "tab-count", id: "incident-total", "data-i18n-title": "incidents.activeCount", title: t("incidents.activeCount") }, "0") : null,
      ),
    );
    const panels = new Map<Tab, HTMLElement>();
    const addPanel = (tab: Tab, content: HTMLElement) => {
      const panel = h("div", { class: "tab-panel", role: "tabpanel", "data-panel": tab }, content);
      panel.hidden = tab !== "alarms";
      panels.set(tab, panel);
    };
    addPanel("alarms", this.alarmList.element);
    addPanel("incidents", incidentList.element);
    if (tabs.includes("audit")) {
      this.audit = new AuditPanel(api);
      addPanel("audit", this.audit.element);
    }
    if (supervisor) {
      const panel = new SupervisionPanel({ api, registry, openIncident: (incidentId) => this.openIncident(incidentId) });
      this.supervision = panel;
      this.supervisionPoller = new Poller(() => this.loadSupervision(panel), SUPERVISION_POLL_MS);
      addPanel("supervision", panel.element);
    }
    const openTab = (tab: Tab) => {
      for (const button of tabButtons) button.setAttribute("aria-selected", String(button.dataset.tab === tab));
      for (const [name, panel] of panels) panel.hidden = name !== tab;
      if (tab === "audit") void this.audit?.load();
      if (tab === "supervision") this.supervisionPoller?.start();
      else this.supervisionPoller?.stop();
    };
    for (const button of tabButtons) button.addEventListener("click", () => openTab(button.dataset.tab as Tab));

    const mapElement = h("div", { id: "map", class: "map" });
    this.root.replaceChildren(
      h(
        "div",
        { class: "app" },
        this.topBar.element,
        h(
          "div",
          { class: "workspace" },
          h("div", { class: "map-wrap" }, mapElement, this.details.element, this.incidentDrawer.element),
          h(
            "aside",
            { class: "side-panel" },
            h("nav", { class: "tabs", role: "tablist" }, ...tabButtons),
            ...panels.values(),
          ),
        ),
        this.toaster.element,
      ),
    );

    this.map = this.createMap(mapElement, registry, config.basemap_style_url);
    this.cameraPoller = new Poller(() => this.loadCameras(), CAMERA_POLL_MS);
    this.cameraPoller.start();
    this.cleanups.push(this.store.subscribe((update) => this.onStoreUpdate(update)));
    this.cleanups.push(onLanguageChange(() => this.applyLanguage()));

    this.live = new LiveClient({
      url: liveUrl(window.location),
      token: session.token,
      heartbeatS: config.heartbeat_s,
      createSocket: (url) => new BrowserSocket(url),
      listener: {
        snapshot: (frame) => this.store.applySnapshot(frame),
        changes: (changes) => this.store.applyChanges(changes),
        status: (status) => this.topBar?.setStatus(status),
        loggedOut: () => this.options.sessionEnded(),
      },
    });
    this.live.start();
    const tick = setInterval(() => this.topBar?.setLastFrame(this.live?.lastFrameTime ?? 0, Date.now()), STATUS_TICK_MS);
    this.cleanups.push(() => clearInterval(tick));
    this.scheduleCounts();
  }

  private createMap(element: HTMLElement, registry: Registry, styleUrl: string | null): MapView {
    const onSelect = (selection: Selection) => this.select(selection, selection.kind === "site");
    if (webglAvailable()) {
      // Loaded on demand: MapLibre is most of the bundle, and the login page does not need it.
      const holder: { view: MapView | null } = { view: null };
      const pending: ((view: MapView) => void)[] = [];
      const proxy: MapView = {
        devicesChanged: (ids) => (holder.view ? holder.view.devicesChanged(ids) : pending.push((v) => v.devicesChanged(null))),
        zonesChanged: (ids) => (holder.view ? holder.view.zonesChanged(ids) : pending.push((v) => v.zonesChanged(null))),
        setCameras: (cameras) => (holder.view ? holder.view.setCameras(cameras) : pending.push((v) => v.setCameras(cameras))),
        setSiteAlarms: (counts) => (holder.view ? holder.view.setSiteAlarms(counts) : pending.push((v) => v.setSiteAlarms(counts))),
        pulse: (alarm) => holder.view?.pulse(alarm),
        focus: (selection, move) => (holder.view ? holder.view.focus(selection, move) : pending.push((v) => v.focus(selection, move))),
        applyLanguage: () => holder.view?.applyLanguage(),
        destroy: () => holder.view?.destroy(),
      };
      import("./map/gl-map")
        .then(({ GlMapView }) => {
          if (this.disposed) return;
          try {
            holder.view = new GlMapView(element, registry, this.store, styleUrl, onSelect);
          } catch (error) {
            console.warn("MapLibre could not start, using the flat map", error);
            holder.view = new FlatMapView(element, registry, onSelect);
          }
          for (const apply of pending.splice(0)) apply(holder.view);
          this.scheduleCounts();
        })
        .catch((error: unknown) => {
          console.warn("the map module failed to load, using the flat map", error);
          holder.view = new FlatMapView(element, registry, onSelect);
          this.scheduleCounts();
        });
      return proxy;
    }
    return new FlatMapView(element, registry, onSelect);
  }

  private onStoreUpdate(update: StoreUpdate): void {
    const map = this.map;
    if (map !== null) {
      if (update.reset) {
        map.devicesChanged(null);
        map.zonesChanged(null);
      } else {
        if (update.deviceIds.length > 0) map.devicesChanged(update.deviceIds);
        if (update.zoneIds.length > 0) map.zonesChanged(update.zoneIds);
      }
      for (const alarm of update.raised) map.pulse(alarm);
    }
    if (update.alarmsChanged) {
      this.alarmList?.scheduleRender();
      this.scheduleCounts();
    }
    if (update.raised.length > 0) this.alarmList?.flash(update.raised);
    this.details?.scheduleRefresh();
    if (update.incidentsChanged) this.showIncidents();
    const drawer = this.incidentDrawer;
    if (drawer !== null && touchesIncident(update, drawer.current)) drawer.refresh();
  }

  /** The incidents list and the tab's count (incidents still taking alarms), from the live stream's incidents. */
  private showIncidents(): void {
    this.incidentList?.setIncidents(this.store.incidents.values());
    const total = this.root.querySelector("#incident-total");
    if (total !== null) total.textContent = String(countActive(this.store.incidents.values()));
  }

  /** Site badges, top-bar counts and the tab count, at most every 500 ms. */
  private scheduleCounts(): void {
    if (this.countsTimer !== null) return;
    this.countsTimer = setTimeout(() => {
      this.countsTimer = null;
      const registry = this.registry;
      if (registry === null || this.disposed) return;
      this.map?.setSiteAlarms(countAlarmsBySite(this.store.alarms.values(), registry.siteOfAlarm));
      let unack = 0;
      let critical = 0;
      for (const alarm of this.store.alarms.values()) {
        if (alarm.state === "unacknowledged" || alarm.state === "rtn_unacknowledged") unack += 1;
        if (alarm.priority === 1 && !isHidden(alarm)) critical += 1;
      }
      this.topBar?.setCounts(this.store.alarms.size, unack, critical);
      const total = this.root.querySelector("#alarm-total");
      if (total !== null) total.textContent = String(this.store.alarms.size);
    }, COUNTS_MS);
  }

  /** The camera list: to the map and the details card when it changed. */
  private async loadCameras(): Promise<void> {
    const cameras = await this.options.api.cameras();
    if (this.disposed || !this.cameras.update(cameras)) return;
    this.map?.setCameras(cameras);
    this.details?.scheduleRefresh();
  }

  private select(selection: Selection | null, move: boolean): void {
    const cameraOpen = selection?.kind === "camera";
    if (cameraOpen !== this.cameraOpen) {
      this.cameraOpen = cameraOpen;
      this.cameraPoller?.start(cameraOpen ? CAMERA_OPEN_POLL_MS : CAMERA_POLL_MS);
    }
    this.details?.show(selection);
    this.zoneCrowd?.show(selection?.kind === "zone" ? selection.id : null);
    this.map?.focus(selection, move);
    this.alarmList?.select(selection?.kind === "alarm" ? selection.id : null);
  }

  /** Open an incident in the drawer, and mark its row in the list. */
  private openIncident(incidentId: string): void {
    this.incidentDrawer?.open(incidentId);
    this.incidentList?.select(incidentId);
  }

  /** An incident's alarm clicked: the alarm itself when still open, else where it was (zone, device, site). */
  private selectIncidentAlarm(alarm: AlarmOut): void {
    const registry = this.registry;
    if (this.store.alarms.has(alarm.id) || registry === null) {
      this.select({ kind: "alarm", id: alarm.id }, true);
      return;
    }
    const { zone_id: zoneId, source, site_id: siteId } = alarm.key;
    if (zoneId !== null && registry.zones.has(zoneId)) this.select({ kind: "zone", id: zoneId }, true);
    else if (registry.devices.has(source)) this.select({ kind: "device", id: source }, true);
    else if (siteId !== null && registry.sites.has(siteId)) this.select({ kind: "site", id: siteId }, true);
    else this.select({ kind: "alarm", id: alarm.id }, true);
  }

  private async loadSupervision(panel: SupervisionPanel): Promise<void> {
    await panel.load();
    for (const desk of panel.desks) this.rateDesks.add(desk);
  }

  private async act(alarm: AlarmOut, action: AlarmAction): Promise<void> {
    if (this.inFlight.has(alarm.id)) return;
    const { api } = this.options;
    const name = t(`action.${action}`);
    try {
      let result;
      if (action === "shelve") {
        const request = await askShelve(alarm, this.root);
        if (request === null) return;
        this.inFlight.add(alarm.id);
        result = await api.shelve(alarm.id, request.reason, request.durationS);
      } else {
        this.inFlight.add(alarm.id);
        result = action === "acknowledge" ? await api.acknowledge(alarm.id) : await api.clear(alarm.id);
      }
      this.store.applyActionResult(result);
      this.toaster.show(`${t("action.done", { action: name })} — ${label("alarmType", alarm.key.type)}`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      const detail = error instanceof Error ? error.message : String(error);
      this.toaster.show(t("action.failed", { action: name, detail }), "error");
    } finally {
      this.inFlight.delete(alarm.id);
    }
  }

  private applyLanguage(): void {
    translateTree(this.root);
    this.topBar?.render();
    this.alarmList?.applyLanguage();
    this.details?.applyLanguage();
    this.zoneCrowd?.applyLanguage();
    this.audit?.applyLanguage();
    this.incidentList?.applyLanguage();
    this.incidentDrawer?.applyLanguage();
    this.supervision?.applyLanguage();
    this.map?.applyLanguage();
  }
}
