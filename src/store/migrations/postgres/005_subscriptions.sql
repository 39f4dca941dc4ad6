-- FHIR Subscriptions (R4 backport): per subscription channel, which event numbers are
-- accounted for (`covered`: every number up to it), the highest number the EHR has told of,
-- and when the EHR was last heard from; and each event number taken in above `covered`.
CREATE TABLE subscription_channels (
  channel TEXT COLLATE "C" PRIMARY KEY,
  ehr TEXT COLLATE "C" NOT NULL,
  covered BIGINT NOT NULL DEFAULT 0,
  highest BIGINT NOT NULL DEFAULT 0,
  last_seen_at BIGINT NOT NULL
);
CREATE INDEX subscription_channels_ehr ON subscription_channels (ehr, last_seen_at);

CREATE TABLE subscription_events (
  channel TEXT COLLATE "C" NOT NULL,
  event_number BIGINT NOT NULL,
  recorded_at BIGINT NOT NULL,
  PRIMARY KEY (channel, event_number)
);
