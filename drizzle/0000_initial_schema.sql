CREATE TABLE `agents` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`type` text DEFAULT 'llm' NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`last_seen_at` integer,
	CONSTRAINT "agents_type" CHECK("agents"."type" IN ('llm', 'system', 'human', 'service'))
);
--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY NOT NULL,
	`agent_id` text NOT NULL,
	`action` text NOT NULL,
	`resource_type` text NOT NULL,
	`resource_id` text,
	`details` text,
	`timestamp` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `idx_audit_agent` ON `audit_log` (`agent_id`,`timestamp`);--> statement-breakpoint
CREATE TABLE `events` (
	`id` integer PRIMARY KEY NOT NULL,
	`workflow_id` text NOT NULL,
	`sequence` integer NOT NULL,
	`step_id` text,
	`event_type` text NOT NULL,
	`payload` text,
	`agent_id` text,
	`timestamp` integer NOT NULL,
	`v` integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `idx_events_workflow` ON `events` (`workflow_id`,`sequence`);--> statement-breakpoint
CREATE TABLE `instance` (
	`id` integer PRIMARY KEY NOT NULL,
	`pid` integer NOT NULL,
	`address` text,
	`mode` text NOT NULL,
	`started_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `job_runs` (
	`id` integer PRIMARY KEY NOT NULL,
	`job_id` text NOT NULL,
	`scheduled_for` integer NOT NULL,
	`workflow_id` text,
	`status` text NOT NULL,
	`error` text,
	`started_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `idx_job_runs_fire` ON `job_runs` (`job_id`,`scheduled_for`);--> statement-breakpoint
CREATE INDEX `idx_job_runs_workflow` ON `job_runs` (`workflow_id`);--> statement-breakpoint
CREATE TABLE `pending_decisions` (
	`id` text PRIMARY KEY NOT NULL,
	`workflow_id` text NOT NULL,
	`step_id` text NOT NULL,
	`agent_id` text,
	`target_agent_id` text,
	`context` text NOT NULL,
	`options` text NOT NULL,
	`timeout_at` integer,
	`fallback` text,
	`resolution` text,
	`resolved_by` text,
	`resolved_at` integer,
	`status` text DEFAULT 'pending' NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT "decisions_status" CHECK("pending_decisions"."status" IN ('pending', 'resolved', 'timed_out', 'cancelled'))
);
--> statement-breakpoint
CREATE INDEX `idx_decisions_pending` ON `pending_decisions` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `idx_decisions_workflow` ON `pending_decisions` (`workflow_id`);--> statement-breakpoint
CREATE TABLE `plugins` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`type` text DEFAULT 'mcp' NOT NULL,
	`config` text NOT NULL,
	`status` text DEFAULT 'inactive' NOT NULL,
	`tools` text DEFAULT '[]' NOT NULL,
	`last_health_check` integer,
	`error_message` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "plugins_type" CHECK("plugins"."type" IN ('mcp')),
	CONSTRAINT "plugins_status" CHECK("plugins"."status" IN ('active', 'inactive', 'error', 'starting', 'restarting'))
);
--> statement-breakpoint
CREATE TABLE `scheduled_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`template_name` text NOT NULL,
	`template_version` text,
	`cron_expression` text NOT NULL,
	`timezone` text DEFAULT 'UTC' NOT NULL,
	`params` text DEFAULT '{}' NOT NULL,
	`agent_id` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`catch_up` text DEFAULT 'one' NOT NULL,
	`overlap` text DEFAULT 'skip' NOT NULL,
	`source` text DEFAULT 'api' NOT NULL,
	`last_run_at` integer,
	`next_run_at` integer,
	`last_run_status` text,
	`last_workflow_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `idx_scheduled_next` ON `scheduled_jobs` (`next_run_at`) WHERE "scheduled_jobs"."enabled" = 1;--> statement-breakpoint
CREATE INDEX `idx_scheduled_template` ON `scheduled_jobs` (`template_name`);--> statement-breakpoint
CREATE TABLE `secrets` (
	`key` text PRIMARY KEY NOT NULL,
	`value` blob NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `signal_results` (
	`workflow_id` text NOT NULL,
	`signal_id` text NOT NULL,
	`result` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`workflow_id`, `signal_id`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `step_state` (
	`workflow_id` text NOT NULL,
	`step_id` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`input` text,
	`output` text,
	`error` text,
	`retry_count` integer DEFAULT 0 NOT NULL,
	`started_at` integer,
	`completed_at` integer,
	`duration_ms` real,
	PRIMARY KEY(`workflow_id`, `step_id`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `vault_meta` (
	`id` integer PRIMARY KEY NOT NULL,
	`meta` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `workflow_context` (
	`workflow_id` text PRIMARY KEY NOT NULL,
	`agent_id` text NOT NULL,
	`original_intent` text DEFAULT '' NOT NULL,
	`decisions_log` text DEFAULT '[]' NOT NULL,
	`accumulated_data` text DEFAULT '{}' NOT NULL,
	`agent_notes` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `idx_context_agent` ON `workflow_context` (`agent_id`,`updated_at`);--> statement-breakpoint
CREATE TABLE `workflow_templates` (
	`name` text NOT NULL,
	`version` text NOT NULL,
	`version_num` integer NOT NULL,
	`description` text,
	`definition` text NOT NULL,
	`input_schema` text,
	`output_schema` text,
	`triggers` text,
	`permissions` text,
	`agent_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`name`, `version_num`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `idx_templates_version` ON `workflow_templates` (`name`,`version`);--> statement-breakpoint
CREATE TABLE `workflows` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text,
	`template_name` text,
	`template_version` text,
	`definition` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`agent_id` text NOT NULL,
	`parent_workflow_id` text,
	`parent_step_id` text,
	`depth` integer DEFAULT 0 NOT NULL,
	`input_params` text DEFAULT '{}' NOT NULL,
	`output` text,
	`error` text,
	`wake_at` integer,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`completed_at` integer,
	`updated_at` integer NOT NULL,
	CONSTRAINT "workflows_status" CHECK("workflows"."status" IN ('pending', 'active', 'suspended', 'completed', 'failed', 'cancelled'))
);
--> statement-breakpoint
CREATE INDEX `idx_workflows_status` ON `workflows` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `idx_workflows_agent` ON `workflows` (`agent_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `idx_workflows_created` ON `workflows` (`created_at`);--> statement-breakpoint
CREATE INDEX `idx_workflows_parent` ON `workflows` (`parent_workflow_id`) WHERE "workflows"."parent_workflow_id" IS NOT NULL;