CREATE TABLE "trip_sweeps" (
	"trip_id" integer PRIMARY KEY NOT NULL,
	"confirmed_at" timestamp with time zone,
	"confirmed_by_user_id" integer,
	"confirmed_empty" boolean,
	"onboard_at_confirm" integer,
	"note" text,
	"alert_raised_at" timestamp with time zone,
	"alert_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "trip_sweeps" ADD CONSTRAINT "trip_sweeps_trip_id_trips_id_fk" FOREIGN KEY ("trip_id") REFERENCES "public"."trips"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trip_sweeps" ADD CONSTRAINT "trip_sweeps_confirmed_by_user_id_users_id_fk" FOREIGN KEY ("confirmed_by_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "trip_sweeps_alert_idx" ON "trip_sweeps" USING btree ("alert_raised_at");