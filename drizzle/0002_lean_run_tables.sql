-- Hand-edited (drizzle-kit cannot declare WITHOUT ROWID): the tables every run writes are clustered
-- on their time-ordered keys so a commit touches one right-edge page per table. Existing rows are
-- kept; existing definitions move to `definitions` under an id derived from their workflow.
CREATE TABLE `definitions` (
	`id` text PRIMARY KEY NOT NULL,
	`json` text NOT NULL,
	`created_at` integer NOT NULL
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `__new_events` (
	`id` integer NOT NULL,
	`workflow_id` text NOT NULL,
	`sequence` integer NOT NULL,
	`step_id` text,
	`event_type` text NOT NULL,
	`payload` text,
	`agent_id` text,
	`timestamp` integer NOT NULL,
	`v` integer DEFAULT 1 NOT NULL,
	PRIMARY KEY(`workflow_id`, `sequence`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `__new_events`("id", "workflow_id", "sequence", "step_id", "event_type", "payload", "agent_id", "timestamp", "v") SELECT "id", "workflow_id", "sequence", "step_id", "event_type", "payload", "agent_id", "timestamp", "v" FROM `events`;--> statement-breakpoint
DROP TABLE `events`;--> statement-breakpoint
ALTER TABLE `__new_events` RENAME TO `events`;--> statement-breakpoint
INSERT INTO `definitions`("id", "json", "created_at") SELECT 'wf:' || "id", "definition", "created_at" FROM `workflows`;--> statement-breakpoint
CREATE TABLE `__new_workflows` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text,
	`template_name` text,
	`template_version` text,
	`definition_id` text NOT NULL,
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
	CONSTRAINT "workflows_status" CHECK("__new_workflows"."status" IN ('pending', 'active', 'suspended', 'completed', 'failed', 'cancelled'))
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `__new_workflows`("id", "name", "template_name", "template_version", "definition_id", "status", "agent_id", "parent_workflow_id", "parent_step_id", "depth", "input_params", "output", "error", "wake_at", "created_at", "started_at", "completed_at", "updated_at") SELECT "id", "name", "template_name", "template_version", 'wf:' || "id", "status", "agent_id", "parent_workflow_id", "parent_step_id", "depth", "input_params", "output", "error", "wake_at", "created_at", "started_at", "completed_at", "updated_at" FROM `workflows`;--> statement-breakpoint
DROP TABLE `workflows`;--> statement-breakpoint
ALTER TABLE `__new_workflows` RENAME TO `workflows`;--> statement-breakpoint
CREATE INDEX `idx_workflows_open` ON `workflows` (`status`,`wake_at`) WHERE "workflows"."status" IN ('pending', 'active', 'suspended');--> statement-breakpoint
CREATE INDEX `idx_workflows_parent` ON `workflows` (`parent_workflow_id`) WHERE "workflows"."parent_workflow_id" IS NOT NULL;
