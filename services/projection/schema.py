"""The projection's read models."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_trail (
    event_id uuid PRIMARY KEY,
    aggregate_id uuid NOT NULL,
    aggregate_type text NOT NULL,
    aggregate_version integer NOT NULL,
    project_id uuid,
    department text NOT NULL,
    branch text,
    type text NOT NULL,
    actor jsonb NOT NULL,
    request_id text,
    occurred_at timestamptz NOT NULL,
    source_service text NOT NULL,
    source_instance text NOT NULL,
    source_position bigint NOT NULL,
    payload jsonb NOT NULL,
    applied_seq bigint GENERATED ALWAYS AS IDENTITY,  -- the order events were applied in here
    UNIQUE (aggregate_id, aggregate_version)
);
CREATE INDEX IF NOT EXISTS audit_trail_project ON audit_trail (project_id, occurred_at);
CREATE INDEX IF NOT EXISTS audit_trail_branch ON audit_trail (department, branch, occurred_at);

CREATE TABLE IF NOT EXISTS topics (
    id uuid PRIMARY KEY,
    department text NOT NULL,
    year integer NOT NULL,
    direction text NOT NULL,
    title text NOT NULL,
    state text NOT NULL,
    version integer NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS projects (
    id uuid PRIMARY KEY,
    department text NOT NULL,
    branch text NOT NULL,
    topic_id uuid NOT NULL,
    year integer NOT NULL,
    direction text NOT NULL,
    title text NOT NULL,
    goal text NOT NULL,
    targets jsonb NOT NULL,
    milestones jsonb NOT NULL,
    responsible jsonb NOT NULL,
    state text NOT NULL,
    record_no text,
    version integer NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS projects_scope ON projects (department, branch, year);
ALTER TABLE projects ADD COLUMN IF NOT EXISTS colour text NOT NULL DEFAULT 'green';

CREATE TABLE IF NOT EXISTS milestones (
    project_id uuid NOT NULL,
    milestone_id text NOT NULL,
    title text NOT NULL,
    due date NOT NULL,
    deliverable text NOT NULL,
    met_on date,
    met_deliverable jsonb,
    PRIMARY KEY (project_id, milestone_id)
);

CREATE TABLE IF NOT EXISTS tasks (
    id uuid PRIMARY KEY,
    project_id uuid NOT NULL,
    milestone_id text NOT NULL,
    department text NOT NULL,
    branch text NOT NULL,
    title text NOT NULL,
    due date NOT NULL,
    assignee text NOT NULL,
    assignee_name text NOT NULL,
    state text NOT NULL,
    percent integer NOT NULL,
    version integer NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_project ON tasks (project_id, milestone_id);
CREATE INDEX IF NOT EXISTS tasks_assignee ON tasks (assignee);
ALTER TABLE milestones ADD COLUMN IF NOT EXISTS overdue boolean NOT NULL DEFAULT false;

CREATE TABLE IF NOT EXISTS colour_history (
    event_id uuid PRIMARY KEY,
    project_id uuid NOT NULL,
    colour text NOT NULL,
    previous text,
    reasons jsonb NOT NULL,
    at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS colour_history_project ON colour_history (project_id, at);

CREATE TABLE IF NOT EXISTS inspections (
    project_id uuid NOT NULL,
    inspection_id text NOT NULL,
    milestone_id text NOT NULL,
    rating text NOT NULL,
    findings text NOT NULL,
    order_id text,
    inspector text NOT NULL,
    at timestamptz NOT NULL,
    PRIMARY KEY (project_id, inspection_id)
);

CREATE TABLE IF NOT EXISTS rectifications (
    project_id uuid NOT NULL,
    order_id text NOT NULL,
    milestone_id text NOT NULL,
    items jsonb NOT NULL,
    deadline date NOT NULL,
    state text NOT NULL,
    overdue boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (project_id, order_id)
);

-- Added with the acceptance handlers (公开验收): all additive, so an existing database upgrades.
-- The colour history keeps its supervision's order (the manual clock may stand still between changes).
ALTER TABLE colour_history ADD COLUMN IF NOT EXISTS aggregate_version integer;
-- `state` is filing's state until the branch applies for acceptance, then acceptance's stage; a
-- withdrawal wins over both. Each topic keeps its own column, so their arrival order does not matter.
ALTER TABLE projects ADD COLUMN IF NOT EXISTS filing_state text;
UPDATE projects SET filing_state = state WHERE filing_state IS NULL;
ALTER TABLE projects ADD COLUMN IF NOT EXISTS acceptance_state text;
ALTER TABLE projects ADD COLUMN IF NOT EXISTS acceptance_version integer NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN IF NOT EXISTS applied_at timestamptz;
ALTER TABLE projects ADD COLUMN IF NOT EXISTS application jsonb;
ALTER TABLE projects ADD COLUMN IF NOT EXISTS notice_opened_at timestamptz;
ALTER TABLE projects ADD COLUMN IF NOT EXISTS notice_closes_at timestamptz;
ALTER TABLE projects ADD COLUMN IF NOT EXISTS notice_working_days integer;
ALTER TABLE projects ADD COLUMN IF NOT EXISTS notice_closed_at timestamptz;
ALTER TABLE projects ADD COLUMN IF NOT EXISTS feedback_count integer NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN IF NOT EXISTS objection_count integer NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN IF NOT EXISTS objections_answered integer NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN IF NOT EXISTS panel jsonb;
ALTER TABLE projects ADD COLUMN IF NOT EXISTS rubric text;
ALTER TABLE projects ADD COLUMN IF NOT EXISTS grade text;
ALTER TABLE projects ADD COLUMN IF NOT EXISTS grade_label text;
ALTER TABLE projects ADD COLUMN IF NOT EXISTS score double precision;
ALTER TABLE projects ADD COLUMN IF NOT EXISTS graded_at timestamptz;
ALTER TABLE projects ADD COLUMN IF NOT EXISTS in_casebook boolean NOT NULL DEFAULT false;
ALTER TABLE projects ADD COLUMN IF NOT EXISTS brand text;
ALTER TABLE projects ADD COLUMN IF NOT EXISTS commendations jsonb NOT NULL DEFAULT '[]';

-- One-time replays of the audit trail for what older versions did not apply (services/projection/upgrade.py).
-- Signed checkpoints of every instance's hash chain (at: the signed text, kept byte for byte).
CREATE TABLE IF NOT EXISTS audit_checkpoints (
    service text NOT NULL,
    instance text NOT NULL,
    position bigint NOT NULL,
    head text NOT NULL,
    at text NOT NULL,
    signature text NOT NULL,
    public_key text NOT NULL,
    event_id uuid NOT NULL,
    PRIMARY KEY (service, instance, position)
);

CREATE TABLE IF NOT EXISTS projection_upgrades (
    name text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
);

-- The organisation registry (filing's Department events): which branches the programme expects a
-- project from (覆盖率, 未立项支部); read by the statistics and the assessment.
CREATE TABLE IF NOT EXISTS departments (
    code text PRIMARY KEY,
    name text NOT NULL
);
CREATE TABLE IF NOT EXISTS branches (
    department text NOT NULL,
    branch text NOT NULL,
    name text NOT NULL,
    secretary_id text,
    secretary_name text,
    registered_at timestamptz NOT NULL,
    PRIMARY KEY (department, branch)
);

-- 考核评价: live scores are kept until another event is applied; the last one applied is read
-- off this index (one B-tree entry per event: what live scoring adds to handling one).
CREATE INDEX IF NOT EXISTS audit_trail_applied ON audit_trail (applied_seq);
"""

# Tables whose rows must be equal after a rebuild from history: the order to compare by, and
# the columns that record local facts (when applied here), not history.
READ_MODELS = {
    "audit_trail": ("aggregate_id, aggregate_version", ("applied_seq",)),
    "topics": ("id", ()),
    "projects": ("id", ()),
    "milestones": ("project_id, milestone_id", ()),
    "tasks": ("id", ()),
    "colour_history": ("project_id, at, event_id", ()),
    "inspections": ("project_id, inspection_id", ()),
    "rectifications": ("project_id, order_id", ()),
    "departments": ("code", ()),
    "branches": ("department, branch", ()),
    "audit_checkpoints": ("service, instance, position", ()),
}
