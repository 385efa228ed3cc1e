/* store_schema.c - the database schema, as append-only migrations.
 *
 * Resources keep their ECS description as a JSON document (`doc`) next to
 * the columns that queries filter, sort or join on; those columns are the
 * source of truth for what they hold and are merged into the document when
 * it is read. */
#include "server/store/store_schema.h"

/* The body of migration 14's triggers: any IAM write moves the counter. */
#define BUMP_IAM_GENERATION " BEGIN UPDATE iam_generation SET n = n + 1; END;"

static const char *const migrations[] = {
    /* 1: clusters, task definitions, tags */
    "CREATE TABLE clusters ("
    "  id INTEGER PRIMARY KEY,"
    "  region TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  UNIQUE (region, name));"
    "CREATE TABLE task_definition_families ("
    "  region TEXT NOT NULL,"
    "  family TEXT NOT NULL,"
    "  last_revision INTEGER NOT NULL,"
    "  PRIMARY KEY (region, family));"
    "CREATE TABLE task_definitions ("
    "  id INTEGER PRIMARY KEY,"
    "  region TEXT NOT NULL,"
    "  family TEXT NOT NULL,"
    "  revision INTEGER NOT NULL,"
    "  arn TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  registered_at INTEGER NOT NULL,"
    "  deregistered_at INTEGER,"
    "  delete_requested_at INTEGER,"
    "  doc TEXT NOT NULL,"
    "  UNIQUE (region, family, revision));"
    "CREATE INDEX task_definitions_status ON task_definitions (region, status, family, revision);"
    "CREATE TABLE tags ("
    "  arn TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (arn, key)) WITHOUT ROWID;",

    /* 2: container instances, their attributes and host ports, tasks.
     * used_cpu/used_mem and instance_ports hold what running and pending
     * tasks reserve; they change in the same transaction as the tasks, so
     * remaining = registered - used is always exact. */
    "CREATE TABLE container_instances ("
    "  id INTEGER PRIMARY KEY,"
    "  cluster_id INTEGER NOT NULL REFERENCES clusters (id),"
    "  uuid TEXT NOT NULL UNIQUE,"
    "  ec2_instance_id TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  registered_at INTEGER NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  reg_cpu INTEGER NOT NULL,"
    "  reg_memory INTEGER NOT NULL,"
    "  used_cpu INTEGER NOT NULL DEFAULT 0,"
    "  used_memory INTEGER NOT NULL DEFAULT 0,"
    "  running_count INTEGER NOT NULL DEFAULT 0,"
    "  pending_count INTEGER NOT NULL DEFAULT 0,"
    "  doc TEXT NOT NULL);"
    "CREATE INDEX container_instances_cluster ON container_instances (cluster_id, status, uuid);"
    "CREATE TABLE attributes ("
    "  cluster_id INTEGER NOT NULL,"
    "  target_type TEXT NOT NULL,"
    "  target_id TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  value TEXT,"
    "  PRIMARY KEY (cluster_id, target_type, target_id, name)) WITHOUT ROWID;"
    "CREATE INDEX attributes_name ON attributes (cluster_id, target_type, name, value);"
    "CREATE TABLE tasks ("
    "  id INTEGER PRIMARY KEY,"
    "  cluster_id INTEGER NOT NULL REFERENCES clusters (id),"
    "  uuid TEXT NOT NULL UNIQUE,"
    "  instance_id INTEGER,"
    "  family TEXT NOT NULL,"
    "  taskdef_arn TEXT NOT NULL,"
    "  started_by TEXT,"
    "  grp TEXT,"
    "  service_name TEXT,"
    "  launch_type TEXT NOT NULL,"
    "  desired_status TEXT NOT NULL,"
    "  last_status TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  stopped_at INTEGER,"
    "  seq INTEGER NOT NULL,"
    "  res_cpu INTEGER NOT NULL DEFAULT 0,"
    "  res_memory INTEGER NOT NULL DEFAULT 0,"
    "  holds_resources INTEGER NOT NULL DEFAULT 0,"
    "  client_token TEXT,"
    "  doc TEXT NOT NULL);"
    "CREATE INDEX tasks_instance_seq ON tasks (instance_id, seq);"
    "CREATE INDEX tasks_cluster ON tasks (cluster_id, desired_status, uuid);"
    /* ListTasks walks the index that leads with its most selective filter. */
    "CREATE INDEX tasks_cluster_family ON tasks (cluster_id, desired_status, family, uuid);"
    "CREATE INDEX tasks_cluster_started_by ON tasks (cluster_id, desired_status, started_by, uuid);"
    "CREATE INDEX tasks_cluster_service ON tasks (cluster_id, desired_status, service_name, uuid);"
    "CREATE INDEX tasks_cluster_instance ON tasks (cluster_id, desired_status, instance_id, uuid);"
    "CREATE INDEX tasks_stopped ON tasks (stopped_at) WHERE stopped_at IS NOT NULL;"
    "CREATE INDEX tasks_cluster_last ON tasks (cluster_id, last_status);"
    "CREATE UNIQUE INDEX tasks_client_token ON tasks (cluster_id, client_token, uuid) WHERE client_token IS NOT NULL;"
    "CREATE TABLE instance_ports ("
    "  instance_id INTEGER NOT NULL,"
    "  protocol TEXT NOT NULL,"
    "  port INTEGER NOT NULL,"
    "  task_id INTEGER NOT NULL,"
    "  PRIMARY KEY (instance_id, protocol, port)) WITHOUT ROWID;"
    "CREATE INDEX instance_ports_task ON instance_ports (task_id);"
    "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO counters VALUES ('task_seq', 0);",

    /* ---- logs: CloudWatch Logs groups, streams and events ----
     * Times in these tables are milliseconds since the epoch, the unit the
     * Logs API gives and takes.  Events are ordered by (ts, id) within a
     * stream and within a group; both orders have an index, so reads never
     * scan other streams' or groups' events.  Stream rows carry what
     * DescribeLogStreams reports, kept current by every PutLogEvents.
     * log_purge queues the events of deleted streams and groups, which the
     * maintenance loop removes in bounded steps. */
    "CREATE TABLE log_groups ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT," /* never reused: purged events keep old ids */
    "  region TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  retention_days INTEGER,"
    "  class TEXT NOT NULL,"
    "  stored_bytes INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (region, name));"
    "CREATE INDEX log_groups_retention ON log_groups (retention_days) WHERE retention_days IS NOT NULL;"
    "CREATE TABLE log_streams ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  group_id INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  first_ts INTEGER NOT NULL DEFAULT 0," /* 0: no events */
    "  last_ts INTEGER NOT NULL DEFAULT 0,"
    "  last_ingest_ms INTEGER NOT NULL DEFAULT 0,"
    "  stored_bytes INTEGER NOT NULL DEFAULT 0,"
    "  upload_seq INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (group_id, name));"
    "CREATE INDEX log_streams_last ON log_streams (group_id, last_ts, name);"
    "CREATE TABLE log_events ("
    "  id INTEGER PRIMARY KEY,"
    "  stream_id INTEGER NOT NULL,"
    "  group_id INTEGER NOT NULL,"
    "  ts INTEGER NOT NULL,"
    "  ingest_ms INTEGER NOT NULL,"
    "  message TEXT NOT NULL);"
    "CREATE INDEX log_events_stream ON log_events (stream_id, ts);"
    "CREATE INDEX log_events_group ON log_events (group_id, ts);"
    "CREATE TABLE log_shippers ("
    "  stream_id INTEGER NOT NULL,"
    "  shipper TEXT NOT NULL,"
    "  last_offset INTEGER NOT NULL,"
    "  PRIMARY KEY (stream_id, shipper)) WITHOUT ROWID;"
    "CREATE TABLE log_purge ("
    "  kind TEXT NOT NULL," /* 'group' or 'stream' */
    "  target_id INTEGER NOT NULL,"
    "  PRIMARY KEY (kind, target_id)) WITHOUT ROWID;",

    /* 4: services and their events.  Deployments live in the service's
     * document (a service has a handful and they change with it); events are
     * rows so appending one does not rewrite the service, capped at the 100
     * newest per service as ECS keeps them.  An INACTIVE service keeps its
     * row; only one non-INACTIVE service may hold a name in a cluster. */
    "CREATE TABLE services ("
    "  id INTEGER PRIMARY KEY,"
    "  cluster_id INTEGER NOT NULL REFERENCES clusters (id),"
    "  region TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  launch_type TEXT NOT NULL,"
    "  scheduling_strategy TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  doc TEXT NOT NULL);"
    "CREATE UNIQUE INDEX services_live_name ON services (cluster_id, name) WHERE status != 'INACTIVE';"
    "CREATE INDEX services_cluster ON services (cluster_id, status, name);"
    "CREATE TABLE service_events ("
    "  id INTEGER PRIMARY KEY,"
    "  service_id INTEGER NOT NULL,"
    "  uuid TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  message TEXT NOT NULL);"
    "CREATE INDEX service_events_service ON service_events (service_id, id);",
    /* 5: scale: reads that must not grow with the task table.
     * The bulk long-poll (one agent answering for many instances, as a
     * hollow agent does) asks for every change in the cluster after a
     * sequence number: tasks_cluster_seq keeps that a range walk.
     * DescribeClusters' task counts read per-status counters kept by
     * triggers in the same transaction as the task rows, instead of walking
     * every task the cluster ever had. */
    "CREATE INDEX tasks_cluster_seq ON tasks (cluster_id, seq);"
    "CREATE TABLE cluster_task_counts ("
    "  cluster_id INTEGER NOT NULL,"
    "  last_status TEXT NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  PRIMARY KEY (cluster_id, last_status)) WITHOUT ROWID;"
    "INSERT INTO cluster_task_counts SELECT cluster_id, last_status, count(*) FROM tasks GROUP BY 1, 2;"
    "CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks BEGIN"
    "  INSERT INTO cluster_task_counts VALUES (NEW.cluster_id, NEW.last_status, 1)"
    "  ON CONFLICT (cluster_id, last_status) DO UPDATE SET n = n + 1;"
    " END;"
    "CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks BEGIN"
    "  UPDATE cluster_task_counts SET n = n - 1"
    "  WHERE cluster_id = OLD.cluster_id AND last_status = OLD.last_status;"
    " END;"
    "CREATE TRIGGER tasks_count_update AFTER UPDATE OF cluster_id, last_status ON tasks"
    " WHEN OLD.cluster_id IS NOT NEW.cluster_id OR OLD.last_status IS NOT NEW.last_status BEGIN"
    "  UPDATE cluster_task_counts SET n = n - 1"
    "  WHERE cluster_id = OLD.cluster_id AND last_status = OLD.last_status;"
    "  INSERT INTO cluster_task_counts VALUES (NEW.cluster_id, NEW.last_status, 1)"
    "  ON CONFLICT (cluster_id, last_status) DO UPDATE SET n = n + 1;"
    " END;",

    /* 6: placement generations.  RunTask keeps each cluster's placement
     * snapshot in memory (placement_cache.c) and reuses it while the
     * cluster's generation is unchanged.  These triggers bump it on every
     * change placement reads (instances, their attributes and host ports,
     * tasks that hold resources), in the same transaction, so no write
     * path can forget to.  Changes placement does not read (a task going
     * from PENDING to RUNNING, its document) leave it alone. */
    "CREATE TABLE placement_gen (cluster_id INTEGER PRIMARY KEY, gen INTEGER NOT NULL);"
    "CREATE TRIGGER placement_instance_insert AFTER INSERT ON container_instances BEGIN"
    "  INSERT INTO placement_gen VALUES (NEW.cluster_id, 1) ON CONFLICT (cluster_id) DO UPDATE SET gen = gen + 1;"
    " END;"
    "CREATE TRIGGER placement_instance_delete AFTER DELETE ON container_instances BEGIN"
    "  INSERT INTO placement_gen VALUES (OLD.cluster_id, 1) ON CONFLICT (cluster_id) DO UPDATE SET gen = gen + 1;"
    " END;"
    "CREATE TRIGGER placement_instance_update AFTER UPDATE ON container_instances"
    " WHEN OLD.cluster_id IS NOT NEW.cluster_id OR OLD.uuid IS NOT NEW.uuid"
    "  OR OLD.ec2_instance_id IS NOT NEW.ec2_instance_id OR OLD.status IS NOT NEW.status"
    "  OR OLD.registered_at IS NOT NEW.registered_at OR OLD.reg_cpu IS NOT NEW.reg_cpu"
    "  OR OLD.reg_memory IS NOT NEW.reg_memory OR OLD.used_cpu IS NOT NEW.used_cpu"
    "  OR OLD.used_memory IS NOT NEW.used_memory"
    "  OR OLD.running_count + OLD.pending_count IS NOT NEW.running_count + NEW.pending_count"
    "  OR OLD.doc IS NOT NEW.doc BEGIN"
    "  INSERT INTO placement_gen VALUES (OLD.cluster_id, 1) ON CONFLICT (cluster_id) DO UPDATE SET gen = gen + 1;"
    "  INSERT INTO placement_gen VALUES (NEW.cluster_id, 1) ON CONFLICT (cluster_id) DO UPDATE SET gen = gen + 1;"
    " END;"
    "CREATE TRIGGER placement_attr_insert AFTER INSERT ON attributes"
    " WHEN NEW.target_type = 'container-instance' BEGIN"
    "  INSERT INTO placement_gen VALUES (NEW.cluster_id, 1) ON CONFLICT (cluster_id) DO UPDATE SET gen = gen + 1;"
    " END;"
    "CREATE TRIGGER placement_attr_delete AFTER DELETE ON attributes"
    " WHEN OLD.target_type = 'container-instance' BEGIN"
    "  INSERT INTO placement_gen VALUES (OLD.cluster_id, 1) ON CONFLICT (cluster_id) DO UPDATE SET gen = gen + 1;"
    " END;"
    "CREATE TRIGGER placement_attr_update AFTER UPDATE ON attributes"
    " WHEN OLD.target_type = 'container-instance' OR NEW.target_type = 'container-instance' BEGIN"
    "  INSERT INTO placement_gen VALUES (OLD.cluster_id, 1) ON CONFLICT (cluster_id) DO UPDATE SET gen = gen + 1;"
    "  INSERT INTO placement_gen VALUES (NEW.cluster_id, 1) ON CONFLICT (cluster_id) DO UPDATE SET gen = gen + 1;"
    " END;"
    "CREATE TRIGGER placement_port_insert AFTER INSERT ON instance_ports BEGIN"
    "  INSERT INTO placement_gen SELECT cluster_id, 1 FROM container_instances WHERE id = NEW.instance_id"
    "  ON CONFLICT (cluster_id) DO UPDATE SET gen = gen + 1;"
    " END;"
    "CREATE TRIGGER placement_port_delete AFTER DELETE ON instance_ports BEGIN"
    "  INSERT INTO placement_gen SELECT cluster_id, 1 FROM container_instances WHERE id = OLD.instance_id"
    "  ON CONFLICT (cluster_id) DO UPDATE SET gen = gen + 1;"
    " END;"
    "CREATE TRIGGER placement_port_update AFTER UPDATE ON instance_ports BEGIN"
    "  INSERT INTO placement_gen SELECT cluster_id, 1 FROM container_instances"
    "  WHERE id IN (OLD.instance_id, NEW.instance_id)"
    "  ON CONFLICT (cluster_id) DO UPDATE SET gen = gen + 1;"
    " END;"
    "CREATE TRIGGER placement_task_insert AFTER INSERT ON tasks WHEN NEW.holds_resources BEGIN"
    "  INSERT INTO placement_gen VALUES (NEW.cluster_id, 1) ON CONFLICT (cluster_id) DO UPDATE SET gen = gen + 1;"
    " END;"
    "CREATE TRIGGER placement_task_delete AFTER DELETE ON tasks WHEN OLD.holds_resources BEGIN"
    "  INSERT INTO placement_gen VALUES (OLD.cluster_id, 1) ON CONFLICT (cluster_id) DO UPDATE SET gen = gen + 1;"
    " END;"
    "CREATE TRIGGER placement_task_update AFTER UPDATE ON tasks"
    " WHEN (OLD.holds_resources OR NEW.holds_resources) AND (OLD.holds_resources IS NOT NEW.holds_resources"
    "  OR OLD.cluster_id IS NOT NEW.cluster_id OR OLD.instance_id IS NOT NEW.instance_id"
    "  OR OLD.grp IS NOT NEW.grp) BEGIN"
    "  INSERT INTO placement_gen VALUES (OLD.cluster_id, 1) ON CONFLICT (cluster_id) DO UPDATE SET gen = gen + 1;"
    "  INSERT INTO placement_gen VALUES (NEW.cluster_id, 1) ON CONFLICT (cluster_id) DO UPDATE SET gen = gen + 1;"
    " END;",

    /* 7: DescribeClusters' registeredContainerInstancesCount from counters
     * kept by triggers, like the task counts (5), instead of counting a
     * cluster's instances at every call. */
    "CREATE TABLE cluster_instance_counts ("
    "  cluster_id INTEGER NOT NULL,"
    "  status TEXT NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  PRIMARY KEY (cluster_id, status)) WITHOUT ROWID;"
    "INSERT INTO cluster_instance_counts SELECT cluster_id, status, count(*) FROM container_instances GROUP BY 1, 2;"
    "CREATE TRIGGER instances_count_insert AFTER INSERT ON container_instances BEGIN"
    "  INSERT INTO cluster_instance_counts VALUES (NEW.cluster_id, NEW.status, 1)"
    "  ON CONFLICT (cluster_id, status) DO UPDATE SET n = n + 1;"
    " END;"
    "CREATE TRIGGER instances_count_delete AFTER DELETE ON container_instances BEGIN"
    "  UPDATE cluster_instance_counts SET n = n - 1 WHERE cluster_id = OLD.cluster_id AND status = OLD.status;"
    " END;"
    "CREATE TRIGGER instances_count_update AFTER UPDATE OF cluster_id, status ON container_instances"
    " WHEN OLD.cluster_id IS NOT NEW.cluster_id OR OLD.status IS NOT NEW.status BEGIN"
    "  UPDATE cluster_instance_counts SET n = n - 1 WHERE cluster_id = OLD.cluster_id AND status = OLD.status;"
    "  INSERT INTO cluster_instance_counts VALUES (NEW.cluster_id, NEW.status, 1)"
    "  ON CONFLICT (cluster_id, status) DO UPDATE SET n = n + 1;"
    " END;",

    /* 8: DescribeServices' running and pending counts per deployment
     * (started_by) from counters kept by triggers, instead of reading every
     * task of the service at each call (a service of 50,000 tasks made
     * that tens of ms, and clients poll it). */
    "CREATE TABLE service_task_counts ("
    "  cluster_id INTEGER NOT NULL,"
    "  service_name TEXT NOT NULL,"
    "  started_by TEXT NOT NULL," /* '' for none */
    "  last_status TEXT NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  PRIMARY KEY (cluster_id, service_name, started_by, last_status)) WITHOUT ROWID;"
    "INSERT INTO service_task_counts SELECT cluster_id, service_name, coalesce(started_by, ''), last_status, count(*)"
    "  FROM tasks WHERE service_name IS NOT NULL GROUP BY 1, 2, 3, 4;"
    "CREATE TRIGGER service_count_insert AFTER INSERT ON tasks WHEN NEW.service_name IS NOT NULL BEGIN"
    "  INSERT INTO service_task_counts"
    "  VALUES (NEW.cluster_id, NEW.service_name, coalesce(NEW.started_by, ''), NEW.last_status, 1)"
    "  ON CONFLICT (cluster_id, service_name, started_by, last_status) DO UPDATE SET n = n + 1;"
    " END;"
    "CREATE TRIGGER service_count_delete AFTER DELETE ON tasks WHEN OLD.service_name IS NOT NULL BEGIN"
    "  UPDATE service_task_counts SET n = n - 1 WHERE cluster_id = OLD.cluster_id"
    "  AND service_name = OLD.service_name AND started_by = coalesce(OLD.started_by, '')"
    "  AND last_status = OLD.last_status;"
    " END;"
    "CREATE TRIGGER service_count_update AFTER UPDATE OF cluster_id, service_name, started_by, last_status ON tasks"
    " WHEN (OLD.service_name IS NOT NULL OR NEW.service_name IS NOT NULL) AND"
    "  (OLD.cluster_id IS NOT NEW.cluster_id OR OLD.service_name IS NOT NEW.service_name"
    "   OR OLD.started_by IS NOT NEW.started_by OR OLD.last_status IS NOT NEW.last_status) BEGIN"
    "  UPDATE service_task_counts SET n = n - 1 WHERE cluster_id = OLD.cluster_id"
    "  AND service_name = OLD.service_name AND started_by = coalesce(OLD.started_by, '')"
    "  AND last_status = OLD.last_status;"
    "  INSERT INTO service_task_counts"
    "  SELECT NEW.cluster_id, NEW.service_name, coalesce(NEW.started_by, ''), NEW.last_status, 1"
    "  WHERE NEW.service_name IS NOT NULL"
    "  ON CONFLICT (cluster_id, service_name, started_by, last_status) DO UPDATE SET n = n + 1;"
    " END;",
    /* 9: access keys.  The secret is sealed (AES-256-GCM under
     * DATA/master.key, base64): the database alone reveals no secret. */
    "CREATE TABLE access_keys ("
    "  access_key_id TEXT PRIMARY KEY,"
    "  principal_arn TEXT NOT NULL,"
    "  sealed_secret TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'Active',"
    "  created_at INTEGER NOT NULL) WITHOUT ROWID;",
    /* 10: temporary credentials (STS, instance identities): the session
     * token's SHA-256, never the token, and when the key stops working. */
    "ALTER TABLE access_keys ADD COLUMN session_token_sha256 TEXT;"
    "ALTER TABLE access_keys ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX access_keys_principal ON access_keys (principal_arn, created_at);",
    /* 11: cluster registration tokens.  Only the token's SHA-256 is kept:
     * the database alone admits no agent. */
    "CREATE TABLE registration_tokens ("
    "  token_id TEXT PRIMARY KEY,"
    "  region TEXT NOT NULL,"
    "  cluster_id INTEGER NOT NULL,"
    "  token_hash TEXT NOT NULL,"
    "  created_by TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  revoked_at INTEGER,"
    "  last_used_at INTEGER) WITHOUT ROWID;"
    "CREATE INDEX registration_tokens_cluster ON registration_tokens (cluster_id, created_at, token_id);",

    /* 12: IAM.  Users, roles and groups share one table (kind); names are
     * unique per kind without regard to case, as IAM's are.  Policy
     * documents are kept as written; nothing here is secret. */
    "CREATE TABLE iam_entities ("
    "  kind TEXT NOT NULL,"
    "  name TEXT NOT NULL COLLATE NOCASE,"
    "  id TEXT NOT NULL UNIQUE,"
    "  path TEXT NOT NULL,"
    "  arn TEXT NOT NULL UNIQUE,"
    "  created_at INTEGER NOT NULL,"
    "  description TEXT,"
    "  trust_policy TEXT,"
    "  max_session INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (kind, name)) WITHOUT ROWID;"
    "CREATE TABLE iam_inline_policies ("
    "  kind TEXT NOT NULL,"
    "  entity TEXT NOT NULL COLLATE NOCASE,"
    "  name TEXT NOT NULL COLLATE NOCASE,"
    "  document TEXT NOT NULL,"
    "  PRIMARY KEY (kind, entity, name)) WITHOUT ROWID;"
    "CREATE TABLE iam_policies ("
    "  arn TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "  id TEXT NOT NULL UNIQUE,"
    "  path TEXT NOT NULL,"
    "  description TEXT,"
    "  default_version TEXT NOT NULL,"
    "  next_version INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE iam_policy_versions ("
    "  policy_arn TEXT NOT NULL,"
    "  version_id TEXT NOT NULL,"
    "  document TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (policy_arn, version_id)) WITHOUT ROWID;"
    "CREATE TABLE iam_attachments ("
    "  kind TEXT NOT NULL,"
    "  entity TEXT NOT NULL COLLATE NOCASE,"
    "  policy_arn TEXT NOT NULL,"
    "  PRIMARY KEY (kind, entity, policy_arn)) WITHOUT ROWID;"
    "CREATE INDEX iam_attachments_policy ON iam_attachments (policy_arn);"
    "CREATE TABLE iam_group_members ("
    "  group_name TEXT NOT NULL COLLATE NOCASE,"
    "  user_name TEXT NOT NULL COLLATE NOCASE,"
    "  PRIMARY KEY (group_name, user_name)) WITHOUT ROWID;"
    "CREATE INDEX iam_group_members_user ON iam_group_members (user_name);",
    /* 13: SSM parameters and Secrets Manager secrets.  Each version is a
     * JSON document; SecureString values and secret values in it are
     * sealed (AES-256-GCM under DATA/master.key, base64). */
    "CREATE TABLE ssm_parameters ("
    "  region TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  PRIMARY KEY (region, name)) WITHOUT ROWID;"
    "CREATE TABLE ssm_parameter_versions ("
    "  region TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  PRIMARY KEY (region, name, version)) WITHOUT ROWID;"
    "CREATE TABLE secrets ("
    "  arn TEXT PRIMARY KEY,"
    "  region TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  purge_at INTEGER,"
    "  doc TEXT NOT NULL);"
    "CREATE UNIQUE INDEX secrets_name ON secrets (region, name);"
    "CREATE INDEX secrets_purge ON secrets (purge_at) WHERE purge_at IS NOT NULL;"
    "CREATE TABLE secret_versions ("
    "  arn TEXT NOT NULL,"
    "  version_id TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  PRIMARY KEY (arn, version_id));",
    /* 14: a counter every IAM write moves (by trigger, so no writer can
     * forget), starting at a random value: compiled policies are cached
     * under it, and a stale or another database's entry never matches. */
    "CREATE TABLE iam_generation (n INTEGER NOT NULL);"
    "INSERT INTO iam_generation VALUES (abs(random() / 2));"
    "CREATE TRIGGER iam_entities_insert_gen AFTER INSERT ON iam_entities" BUMP_IAM_GENERATION
    "CREATE TRIGGER iam_entities_update_gen AFTER UPDATE ON iam_entities" BUMP_IAM_GENERATION
    "CREATE TRIGGER iam_entities_delete_gen AFTER DELETE ON iam_entities" BUMP_IAM_GENERATION
    "CREATE TRIGGER iam_inline_policies_insert_gen AFTER INSERT ON iam_inline_policies" BUMP_IAM_GENERATION
    "CREATE TRIGGER iam_inline_policies_update_gen AFTER UPDATE ON iam_inline_policies" BUMP_IAM_GENERATION
    "CREATE TRIGGER iam_inline_policies_delete_gen AFTER DELETE ON iam_inline_policies" BUMP_IAM_GENERATION
    "CREATE TRIGGER iam_policies_insert_gen AFTER INSERT ON iam_policies" BUMP_IAM_GENERATION
    "CREATE TRIGGER iam_policies_update_gen AFTER UPDATE ON iam_policies" BUMP_IAM_GENERATION
    "CREATE TRIGGER iam_policies_delete_gen AFTER DELETE ON iam_policies" BUMP_IAM_GENERATION
    "CREATE TRIGGER iam_policy_versions_insert_gen AFTER INSERT ON iam_policy_versions" BUMP_IAM_GENERATION
    "CREATE TRIGGER iam_policy_versions_update_gen AFTER UPDATE ON iam_policy_versions" BUMP_IAM_GENERATION
    "CREATE TRIGGER iam_policy_versions_delete_gen AFTER DELETE ON iam_policy_versions" BUMP_IAM_GENERATION
    "CREATE TRIGGER iam_attachments_insert_gen AFTER INSERT ON iam_attachments" BUMP_IAM_GENERATION
    "CREATE TRIGGER iam_attachments_update_gen AFTER UPDATE ON iam_attachments" BUMP_IAM_GENERATION
    "CREATE TRIGGER iam_attachments_delete_gen AFTER DELETE ON iam_attachments" BUMP_IAM_GENERATION
    "CREATE TRIGGER iam_group_members_insert_gen AFTER INSERT ON iam_group_members" BUMP_IAM_GENERATION
    "CREATE TRIGGER iam_group_members_update_gen AFTER UPDATE ON iam_group_members" BUMP_IAM_GENERATION
    "CREATE TRIGGER iam_group_members_delete_gen AFTER DELETE ON iam_group_members" BUMP_IAM_GENERATION,
    /* 15: Cloud Map's namespaces, services, instances and operations, each
     * a JSON document under its kind, region, parent (a service's
     * namespace, an instance's service, else "") and id. */
    "CREATE TABLE sd_objects ("
    "  kind TEXT NOT NULL,"
    "  region TEXT NOT NULL,"
    "  parent TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  PRIMARY KEY (kind, region, parent, id)) WITHOUT ROWID;"
    "CREATE INDEX sd_objects_id ON sd_objects (kind, region, id);"
    "CREATE INDEX sd_objects_name ON sd_objects (kind, region, name);",
    /* 16: CloudWatch metrics: one row per metric (namespace, name and its
     * dimensions as a canonical JSON array sorted by name), one per point
     * put (a statistic set: count, sum, min, max; time in ms). */
    "CREATE TABLE metrics ("
    "  id INTEGER PRIMARY KEY,"
    "  region TEXT NOT NULL,"
    "  namespace TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  dims TEXT NOT NULL,"
    "  last_put INTEGER NOT NULL,"
    "  UNIQUE (region, namespace, name, dims));"
    "CREATE TABLE metric_points ("
    "  metric_id INTEGER NOT NULL REFERENCES metrics (id),"
    "  at_ms INTEGER NOT NULL,"
    "  unit TEXT NOT NULL,"
    "  count REAL NOT NULL,"
    "  sum REAL NOT NULL,"
    "  min REAL NOT NULL,"
    "  max REAL NOT NULL);"
    "CREATE INDEX metric_points_time ON metric_points (metric_id, at_ms);"
    "CREATE INDEX metric_points_age ON metric_points (at_ms);",
    /* 17: ECS service deployments and revisions, kept after the service's
     * own deployments list has moved on: one JSON document (ECS's
     * ServiceDeployment or ServiceRevision) under its ARN; a deployment's
     * ecs_id is the ecs-svc/ deployment that drives it now. */
    "CREATE TABLE service_history ("
    "  arn TEXT PRIMARY KEY,"
    "  service_id INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  ecs_id TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  doc TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX service_history_service ON service_history (service_id, kind, created_at);",
    /* 18: ECS capacity providers, ECS's CapacityProvider document under
     * its region and name. */
    "CREATE TABLE capacity_providers ("
    "  region TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  PRIMARY KEY (region, name)) WITHOUT ROWID;",
    /* 19: ECS account settings: a principal's value of a setting in a
     * region (the account root's is the account's default). */
    "CREATE TABLE account_settings ("
    "  region TEXT NOT NULL,"
    "  principal TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (region, principal, name)) WITHOUT ROWID;",
    /* 20: Elastic Load Balancing v2: load balancers, target groups,
     * listeners and rules, each a JSON document keyed by kind, region and
     * ARN; parent is a listener's load balancer ARN, a rule's listener ARN,
     * else "".  A target group's targets live in its document. */
    "CREATE TABLE elb_objects ("
    "  kind TEXT NOT NULL,"
    "  region TEXT NOT NULL,"
    "  arn TEXT NOT NULL,"
    "  parent TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  PRIMARY KEY (kind, region, arn)) WITHOUT ROWID;"
    "CREATE INDEX elb_objects_parent ON elb_objects (kind, region, parent, arn);"
    "CREATE INDEX elb_objects_name ON elb_objects (kind, region, name);",
    /* 21: JSON documents keyed by kind, region and id (CloudWatch alarms,
     * Application Auto Scaling targets and policies) and their histories
     * (alarm history, scaling activities) in insertion order. */
    "CREATE TABLE docs ("
    "  kind TEXT NOT NULL,"
    "  region TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  PRIMARY KEY (kind, region, id)) WITHOUT ROWID;"
    "CREATE TABLE doc_events ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  kind TEXT NOT NULL,"
    "  region TEXT NOT NULL,"
    "  parent TEXT NOT NULL,"
    "  at_ms INTEGER NOT NULL,"
    "  doc TEXT NOT NULL);"
    "CREATE INDEX doc_events_parent ON doc_events (kind, region, parent, seq);",
    /* CloudWatch downsampling (store_metrics_downsample): how far each
     * resolution tier has been rolled up, so that each pass reads only the
     * points that aged into it since. */
    "CREATE TABLE metric_rollups ("
    "  tier INTEGER PRIMARY KEY,"
    "  done_ms INTEGER NOT NULL);",
    /* A bulk poll (store_task_changed_since_agent) walks tasks_cluster_seq
     * and needs each change's instance: with instance_id in the index it
     * no longer reads the task's row (document and all) for it. */
    "DROP INDEX tasks_cluster_seq;"
    "CREATE INDEX tasks_cluster_seq ON tasks (cluster_id, seq, instance_id);",
    /* ECS Exec sessions waiting for their task's agent (store_exec.c): the
     * server holding the session writes one; whichever server the agent
     * polls hands it out. */
    "CREATE TABLE exec_sessions ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  instance_id INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  doc TEXT NOT NULL);"
    "CREATE INDEX exec_sessions_instance ON exec_sessions (instance_id, seq);",
    /* Log events a batch slice to a row (store_log_chunks.h): a row per
     * event cost three b-tree inserts each.  Existing events become
     * chunks of one, in their order. */
    "CREATE TABLE log_chunks ("
    "  id INTEGER PRIMARY KEY,"
    "  stream_id INTEGER NOT NULL,"
    "  group_id INTEGER NOT NULL,"
    "  first_ts INTEGER NOT NULL,"
    "  last_ts INTEGER NOT NULL,"
    "  ingest_ms INTEGER NOT NULL,"
    "  first_index INTEGER NOT NULL DEFAULT 0," /* events trimmed off the front */
    "  n INTEGER NOT NULL,"
    "  bytes INTEGER NOT NULL," /* the messages' bytes, the body's size */
    "  meta TEXT,"              /* NULL: one event, at first_ts */
    "  body TEXT NOT NULL);"
    "INSERT INTO log_chunks (stream_id, group_id, first_ts, last_ts, ingest_ms, n, bytes, body) "
    "  SELECT stream_id, group_id, ts, ts, ingest_ms, 1, length(CAST(message AS BLOB)), message FROM log_events ORDER "
    "BY id;"
    "DROP TABLE log_events;"
    "CREATE INDEX log_chunks_stream_first ON log_chunks (stream_id, first_ts, id);"
    "CREATE INDEX log_chunks_stream_last ON log_chunks (stream_id, last_ts, id);"
    "CREATE INDEX log_chunks_group ON log_chunks (group_id, first_ts, id);",
    /* Servers on one PostgreSQL share when each agent was last heard from
     * (store_agent_contacts.h): an agent polls one of them. */
    "CREATE TABLE agent_contacts ("
    "  instance_id INTEGER NOT NULL,"
    "  seen INTEGER NOT NULL,"
    "  PRIMARY KEY (instance_id));"
    "CREATE INDEX agent_contacts_seen ON agent_contacts (seen);",
    /* One index fewer for every task insert to write at a random leaf
     * (this one was keyed by instance: a WAL page per task placed).
     * ListTasks by containerInstance walks tasks_instance_seq instead and
     * sorts the instance's tasks, stopped ones of the last hour included:
     * a page costs the instance's tasks, not the page's size. */
    "DROP INDEX tasks_cluster_instance;",
};

const char *const *store_schema_migrations(size_t *ret_count)
{
    *ret_count = sizeof(migrations) / sizeof(migrations[0]);
    return migrations;
}
