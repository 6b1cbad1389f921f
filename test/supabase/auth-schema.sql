-- The `auth` schema as GoTrue (github.com/supabase/auth) leaves it after all its migrations, for
-- the tables the Supabase source reads: auth.users, auth.identities, auth.mfa_factors. Each column
-- is the final form of the migrations named beside it (migrations/*.up.sql, namespace `auth`).
-- Row-level security and grants (20240612123726_enable_rls_update_grants) are left out: the
-- fixture's connection is the postgres superuser, as a project's direct connection is.

CREATE SCHEMA IF NOT EXISTS auth;

-- 00_init_auth_schema, then:
--   20210710035447_alter_users              phone*, confirmed_at renamed email_confirmed_at
--   20210722035447_adds_confirmed_at        confirmed_at (generated)
--   20210730183235_add_email_change_confirmed  email_change_token_current, email_change_confirm_status,
--                                           email_change_token renamed email_change_token_new
--   20220114185340_add_banned_until         banned_until
--   20220323170000_add_user_reauthentication reauthentication_token, reauthentication_sent_at
--   20221215195500_modify_users_email_unique_index  is_sso_user; users_email_key dropped for
--                                           users_email_partial_key (SSO users may share an email)
--   20230116124310_alter_phone_type         phone, phone_change as text
--   20230116124412_add_deleted_at           deleted_at
--   20240214120130_add_is_anonymous_column  is_anonymous
CREATE TABLE auth.users (
  instance_id uuid NULL,
  id uuid NOT NULL UNIQUE,
  aud varchar(255) NULL,
  "role" varchar(255) NULL,
  email varchar(255) NULL,
  encrypted_password varchar(255) NULL,
  email_confirmed_at timestamptz NULL,
  invited_at timestamptz NULL,
  confirmation_token varchar(255) NULL,
  confirmation_sent_at timestamptz NULL,
  recovery_token varchar(255) NULL,
  recovery_sent_at timestamptz NULL,
  email_change_token_new varchar(255) NULL,
  email_change varchar(255) NULL,
  email_change_sent_at timestamptz NULL,
  last_sign_in_at timestamptz NULL,
  raw_app_meta_data jsonb NULL,
  raw_user_meta_data jsonb NULL,
  is_super_admin bool NULL,
  created_at timestamptz NULL,
  updated_at timestamptz NULL,
  phone text NULL UNIQUE DEFAULT NULL,
  phone_confirmed_at timestamptz NULL DEFAULT NULL,
  phone_change text NULL DEFAULT '',
  phone_change_token varchar(255) NULL DEFAULT '',
  phone_change_sent_at timestamptz NULL DEFAULT NULL,
  confirmed_at timestamptz GENERATED ALWAYS AS (LEAST(email_confirmed_at, phone_confirmed_at)) STORED,
  email_change_token_current varchar(255) NULL DEFAULT '',
  email_change_confirm_status smallint DEFAULT 0 CHECK (email_change_confirm_status >= 0 AND email_change_confirm_status <= 2),
  banned_until timestamptz NULL,
  reauthentication_token varchar(255) NULL DEFAULT '',
  reauthentication_sent_at timestamptz NULL DEFAULT NULL,
  is_sso_user boolean NOT NULL DEFAULT false,
  deleted_at timestamptz NULL,
  is_anonymous boolean NOT NULL DEFAULT false,
  CONSTRAINT users_pkey PRIMARY KEY (id)
);
COMMENT ON TABLE auth.users IS 'Auth: Stores user login data within a secure schema.';
COMMENT ON COLUMN auth.users.is_sso_user IS 'Auth: Set this column to true when the account comes from SSO. These accounts can have duplicate emails.';
CREATE INDEX users_instance_id_idx ON auth.users USING btree (instance_id);
-- 20220114185221_update_user_idx
CREATE INDEX users_instance_id_email_idx ON auth.users USING btree (instance_id, lower(email));
-- 20220429102000_add_unique_idx
CREATE UNIQUE INDEX confirmation_token_idx ON auth.users USING btree (confirmation_token) WHERE confirmation_token !~ '^[0-9 ]*$';
CREATE UNIQUE INDEX recovery_token_idx ON auth.users USING btree (recovery_token) WHERE recovery_token !~ '^[0-9 ]*$';
CREATE UNIQUE INDEX email_change_token_current_idx ON auth.users USING btree (email_change_token_current) WHERE email_change_token_current !~ '^[0-9 ]*$';
CREATE UNIQUE INDEX email_change_token_new_idx ON auth.users USING btree (email_change_token_new) WHERE email_change_token_new !~ '^[0-9 ]*$';
CREATE UNIQUE INDEX reauthentication_token_idx ON auth.users USING btree (reauthentication_token) WHERE reauthentication_token !~ '^[0-9 ]*$';
-- 20221215195500_modify_users_email_unique_index
CREATE UNIQUE INDEX users_email_partial_key ON auth.users (email) WHERE (is_sso_user = false);
-- 20240214120130_add_is_anonymous_column
CREATE INDEX users_is_anonymous_idx ON auth.users USING btree (is_anonymous);

-- 20210909172000_create_identities_table, then:
--   20221215195800_add_identities_email_column  email (generated from identity_data)
--   20231117164230_add_id_pkey_identities   the provider's id renamed provider_id; id a uuid
--                                           primary key; unique (provider_id, provider)
--   20211122151130_create_user_id_idx / 20221027105023_add_identities_user_id_idx
CREATE TABLE auth.identities (
  provider_id text NOT NULL,
  user_id uuid NOT NULL,
  identity_data jsonb NOT NULL,
  provider text NOT NULL,
  last_sign_in_at timestamptz NULL,
  created_at timestamptz NULL,
  updated_at timestamptz NULL,
  email text GENERATED ALWAYS AS (lower(identity_data->>'email')) STORED,
  id uuid DEFAULT gen_random_uuid() PRIMARY KEY,
  CONSTRAINT identities_provider_id_provider_unique UNIQUE (provider_id, provider),
  CONSTRAINT identities_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE
);
COMMENT ON TABLE auth.identities IS 'Auth: Stores identities associated to a user.';
COMMENT ON COLUMN auth.identities.email IS 'Auth: Email is a generated column that references the optional email property in the identity_data';
CREATE INDEX identities_user_id_idx ON auth.identities USING btree (user_id);
CREATE INDEX identities_email_idx ON auth.identities (email text_pattern_ops);

-- 20221003041349_add_mfa_schema, then:
--   20240729123726_add_mfa_phone_config     factor_type 'phone', phone
--   20241009103726_add_web_authn            web_authn_credential, web_authn_aaguid
--   20240802193726_add_mfa_factors_column_last_challenged_at
--   20240806073726_drop_uniqueness_constraint_on_phone  (unique index per user instead)
--   20250925093508_add_last_webauthn_challenge_data
-- `secret` holds a TOTP factor's base32 secret, or (with GOTRUE_SECURITY_DB_ENCRYPTION) the JSON of
-- an EncryptedString (internal/models/factor.go SetSecret, internal/crypto/crypto.go).
CREATE TYPE auth.factor_type AS ENUM ('totp', 'webauthn', 'phone');
CREATE TYPE auth.factor_status AS ENUM ('unverified', 'verified');
CREATE TABLE auth.mfa_factors (
  id uuid NOT NULL,
  user_id uuid NOT NULL,
  friendly_name text NULL,
  factor_type auth.factor_type NOT NULL,
  status auth.factor_status NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  secret text NULL,
  phone text NULL DEFAULT NULL,
  last_challenged_at timestamptz NULL UNIQUE DEFAULT NULL,
  web_authn_credential jsonb NULL,
  web_authn_aaguid uuid NULL,
  last_webauthn_challenge_data jsonb NULL,
  CONSTRAINT mfa_factors_pkey PRIMARY KEY (id),
  CONSTRAINT mfa_factors_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX mfa_factors_user_friendly_name_unique ON auth.mfa_factors (friendly_name, user_id) WHERE trim(friendly_name) <> '';
-- 20230914180801_add_mfa_factors_user_id_idx
CREATE INDEX mfa_factors_user_id_idx ON auth.mfa_factors (user_id);
CREATE UNIQUE INDEX unique_phone_factor_per_user ON auth.mfa_factors (user_id, phone);
