"""CAP 1.2 messages as the authorities send them, written for the tests after the public formats: an FR-Alert
(cell broadcast) alert and its cancel, and a Météo-France vigilance alert as published through MeteoAlarm."""

from __future__ import annotations

FR_ALERT = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>2.49.0.0.250.0.FR.20240726193000.0042</identifier>
  <sender>fr-alert@interieur.gouv.fr</sender>
  <sent>2024-07-26T19:30:00+02:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <code>FR-Alert</code>
  <info>
    <language>fr-FR</language>
    <category>Safety</category>
    <event>Mouvement de foule</event>
    <responseType>Avoid</responseType>
    <responseType>Shelter</responseType>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Observed</certainty>
    <onset>2024-07-26T19:25:00+02:00</onset>
    <expires>2024-07-26T23:00:00+02:00</expires>
    <senderName>Préfecture de police</senderName>
    <headline>Alerte : mouvement de foule autour du site</headline>
    <description>Un mouvement de foule est en cours. Évitez le secteur.</description>
    <instruction>Éloignez-vous du secteur et suivez les consignes des autorités.</instruction>
    <web>https://www.interieur.gouv.fr/fr-alert</web>
    <contact>112</contact>
    <parameter><valueName>CMAS_category</valueName><value>Severe</value></parameter>
    <area>
      <areaDesc>Parvis, Saint-Denis</areaDesc>
      <polygon>{polygon}</polygon>
    </area>
  </info>
  <info>
    <language>en-US</language>
    <category>Safety</category>
    <event>Crowd surge</event>
    <responseType>Avoid</responseType>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Observed</certainty>
    <headline>Alert: crowd surge around the venue</headline>
    <area>
      <areaDesc>Forecourt, Saint-Denis</areaDesc>
      <polygon>{polygon}</polygon>
    </area>
  </info>
</alert>
"""

FR_ALERT_CANCEL = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>2.49.0.0.250.0.FR.20240726211500.0043</identifier>
  <sender>fr-alert@interieur.gouv.fr</sender>
  <sent>2024-07-26T21:15:00+02:00</sent>
  <status>Actual</status>
  <msgType>Cancel</msgType>
  <scope>Public</scope>
  <references>fr-alert@interieur.gouv.fr,2.49.0.0.250.0.FR.20240726193000.0042,2024-07-26T19:30:00+02:00</references>
</alert>
"""

METEO_VIGILANCE = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>2.49.0.0.250.0.FR.20240726060000.0918273</identifier>
  <sender>vigilance@meteo.fr</sender>
  <sent>2024-07-26T06:00:00+02:00</sent>
  <status>Actual</status>
  <msgType>Update</msgType>
  <scope>Public</scope>
  <code>MeteoAlarm</code>
  <references>vigilance@meteo.fr,2.49.0.0.250.0.FR.20240725160000.0918100,2024-07-25T16:00:00+02:00</references>
  <info>
    <language>en-GB</language>
    <category>Met</category>
    <event>Moderate thunderstorm warning</event>
    <responseType>Monitor</responseType>
    <urgency>Future</urgency>
    <severity>Moderate</severity>
    <certainty>Likely</certainty>
    <eventCode><valueName>awareness_level</valueName><value>2; yellow; Moderate</value></eventCode>
    <eventCode><valueName>awareness_type</valueName><value>3; thunderstorm</value></eventCode>
    <effective>2024-07-26T06:00:00+02:00</effective>
    <onset>2024-07-26T16:00:00+02:00</onset>
    <expires>2024-07-27T06:00:00+02:00</expires>
    <senderName>Météo-France</senderName>
    <headline>Yellow thunderstorm warning</headline>
    <web>https://vigilance.meteofrance.fr</web>
    <area>
      <areaDesc>Seine-Saint-Denis</areaDesc>
      <geocode><valueName>EMMA_ID</valueName><value>FR093</value></geocode>
    </area>
  </info>
  <info>
    <language>fr-FR</language>
    <category>Met</category>
    <event>Vigilance jaune orages</event>
    <responseType>Monitor</responseType>
    <urgency>Future</urgency>
    <severity>Moderate</severity>
    <certainty>Likely</certainty>
    <eventCode><valueName>awareness_level</valueName><value>2; yellow; Moderate</value></eventCode>
    <eventCode><valueName>awareness_type</valueName><value>3; thunderstorm</value></eventCode>
    <effective>2024-07-26T06:00:00+02:00</effective>
    <onset>2024-07-26T16:00:00+02:00</onset>
    <expires>2024-07-27T06:00:00+02:00</expires>
    <senderName>Météo-France</senderName>
    <headline>Vigilance jaune orages</headline>
    <description>Des orages parfois forts sont attendus en fin de journée.</description>
    <instruction>Soyez attentifs ; mettez à l'abri les objets sensibles au vent.</instruction>
    <web>https://vigilance.meteofrance.fr</web>
    <area>
      <areaDesc>Seine-Saint-Denis</areaDesc>
      <geocode><valueName>EMMA_ID</valueName><value>FR093</value></geocode>
    </area>
  </info>
</alert>
"""

# an XML bomb: a billion "lol"s once its entities are expanded
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE alert [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol9;</identifier></alert>"""

# a small closed ring around (48.9245, 2.3601), in CAP order "lat,lon"
SAINT_DENIS_RING = "48.924,2.359 48.924,2.3612 48.925,2.3612 48.925,2.359 48.924,2.359"


def fr_alert(polygon: str = SAINT_DENIS_RING) -> bytes:
    """The FR-Alert sample with `polygon` as the area of both infos."""
    return FR_ALERT.replace("{polygon}", polygon).encode()
