/**
 * The tenant's sites, zones and devices as loaded once from the REST API, indexed for the views: lookups by id,
 * per-site lists, each zone's centre and each site's outline, and where an alarm sits on the map.
 */

import { type Bounds, boundsOf, ringCentre, siteOutlines } from "./geometry";
import type { AlarmOut, DeviceOut, LonLat, SiteOut, ZoneOut } from "./types";

export class Registry {
  readonly sites = new Map<string, SiteOut>();
  readonly zones = new Map<string, ZoneOut>();
  readonly devices = new Map<string, DeviceOut>();
  readonly zoneCentres = new Map<string, LonLat>();
  readonly outlines: Map<string, LonLat[]>;
  private readonly zonesBySite = new Map<string, ZoneOut[]>();
  private readonly devicesBySite = new Map<string, DeviceOut[]>();

  constructor(sites: SiteOut[], zones: ZoneOut[], devices: DeviceOut[]) {
    for (const site of sites) this.sites.set(site.id, site);
    for (const zone of zones) {
      this.zones.set(zone.id, zone);
      this.zoneCentres.set(zone.id, ringCentre(zone.polygon[0] ?? []));
      pushTo(this.zonesBySite, zone.site_id, zone);
    }
    for (const device of devices) {
      this.devices.set(device.id, device);
      pushTo(this.devicesBySite, device.site_id, device);
    }
    this.outlines = siteOutlines(sites, zones);
  }

  /** Sites sorted by name, for lists and selects. */
  sortedSites(): SiteOut[] {
    return [...this.sites.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  zonesOf(siteId: string): ZoneOut[] {
    return this.zonesBySite.get(siteId) ?? [];
  }

  devicesOf(siteId: string): DeviceOut[] {
    return this.devicesBySite.get(siteId) ?? [];
  }

  /** The site's outline's bounding box, else a point box at its position. */
  siteBounds(siteId: string): Bounds | null {
    const outline = this.outlines.get(siteId);
    if (outline !== undefined) return boundsOf(outline);
    const site = this.sites.get(siteId);
    return site === undefined ? null : [site.position[0], site.position[1], site.position[0], site.position[1]];
  }

  /** The site an alarm belongs to: its key's site, else its zone's or its source device's. */
  siteOfAlarm = (alarm: AlarmOut): string | null => {
    if (alarm.key.site_id !== null) return alarm.key.site_id;
    if (alarm.key.zone_id !== null) {
      const zone = this.zones.get(alarm.key.zone_id);
      if (zone !== undefined) return zone.site_id;
    }
    return this.devices.get(alarm.key.source)?.site_id ?? null;
  };

  /** Where to show an alarm: its source device, else its zone's centre, else its site. */
  alarmPosition(alarm: AlarmOut): LonLat | null {
    const device = this.devices.get(alarm.key.source);
    if (device !== undefined) return device.position;
    if (alarm.key.zone_id !== null) {
      const centre = this.zoneCentres.get(alarm.key.zone_id);
      if (centre !== undefined) return centre;
    }
    const siteId = this.siteOfAlarm(alarm);
    return siteId === null ? null : (this.sites.get(siteId)?.position ?? null);
  }
}

function pushTo<T>(map: Map<string, T[]>, key: string, value: T): void {
  const held = map.get(key);
  if (held === undefined) map.set(key, [value]);
  else held.push(value);
}
