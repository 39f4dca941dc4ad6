-- FHIR Subscriptions (R4 backport): per subscription channel, which event numbers are
-- accounted for (`covered`: every number up to it), the highest number the EHR has told of,
-- and when the EHR was last heard from; and each event number taken in above `covered`.
CREATE TABLE subscription_channels (
  channel TEXT PRIMARY KEY,
  ehr TEXT NOT NULL,
  covered INTEGER NOT NULL DEFAULT 0,
  highest INTEGER NOT NULL DEFAULT 0,
  last_seen_at INTEGER NOT NULL
);
CREATE INDEX subscription_channels_ehr ON subscription_channels (ehr, last_seen_at);

CREATE TABLE subscription_events (
  channel TEXT NOT NULL,
  event_number INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL,
  PRIMARY KEY (channel, event_number)
);
