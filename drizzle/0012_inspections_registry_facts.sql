CREATE TABLE "bus_inspections" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "bus_inspections_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"school_id" integer NOT NULL,
	"bus_id" integer NOT NULL,
	"inspected_on" date NOT NULL,
	"week_start" date NOT NULL,
	"inspector" text NOT NULL,
	"items" jsonb NOT NULL,
	"passed" boolean NOT NULL,
	"notes" text,
	"recorded_by_user_id" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "driver_trainings" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "driver_trainings_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"school_id" integer NOT NULL,
	"driver_id" integer NOT NULL,
	"held_on" date NOT NULL,
	"hours" double precision NOT NULL,
	"topic" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "evacuation_drill_photos" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "evacuation_drill_photos_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"drill_id" integer NOT NULL,
	"seq" integer NOT NULL,
	"content_type" text NOT NULL,
	"size_bytes" integer NOT NULL,
	"data" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "evacuation_drills" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "evacuation_drills_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"school_id" integer NOT NULL,
	"route_id" integer,
	"held_on" date NOT NULL,
	"participants" integer NOT NULL,
	"notes" text,
	"recorded_by_user_id" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "pre_trip_checks" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "pre_trip_checks_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"school_id" integer NOT NULL,
	"bus_id" integer NOT NULL,
	"trip_id" integer,
	"service_date" date NOT NULL,
	"performed_by" text NOT NULL,
	"performer_name" text,
	"items" jsonb NOT NULL,
	"passed" boolean NOT NULL,
	"recorded_by_user_id" integer,
	"violation_id" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "schools" ADD COLUMN "kind" text DEFAULT 'primary' NOT NULL;--> statement-breakpoint
ALTER TABLE "buses" ADD COLUMN "insurance_valid_until" date;--> statement-breakpoint
ALTER TABLE "routes" ADD COLUMN "approved_by" text;--> statement-breakpoint
ALTER TABLE "routes" ADD COLUMN "approval_number" text;--> statement-breakpoint
ALTER TABLE "routes" ADD COLUMN "approved_on" date;--> statement-breakpoint
ALTER TABLE "bus_inspections" ADD CONSTRAINT "bus_inspections_school_id_schools_id_fk" FOREIGN KEY ("school_id") REFERENCES "public"."schools"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bus_inspections" ADD CONSTRAINT "bus_inspections_bus_id_buses_id_fk" FOREIGN KEY ("bus_id") REFERENCES "public"."buses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bus_inspections" ADD CONSTRAINT "bus_inspections_recorded_by_user_id_users_id_fk" FOREIGN KEY ("recorded_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "driver_trainings" ADD CONSTRAINT "driver_trainings_school_id_schools_id_fk" FOREIGN KEY ("school_id") REFERENCES "public"."schools"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "driver_trainings" ADD CONSTRAINT "driver_trainings_driver_id_drivers_id_fk" FOREIGN KEY ("driver_id") REFERENCES "public"."drivers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evacuation_drill_photos" ADD CONSTRAINT "evacuation_drill_photos_drill_id_evacuation_drills_id_fk" FOREIGN KEY ("drill_id") REFERENCES "public"."evacuation_drills"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evacuation_drills" ADD CONSTRAINT "evacuation_drills_school_id_schools_id_fk" FOREIGN KEY ("school_id") REFERENCES "public"."schools"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evacuation_drills" ADD CONSTRAINT "evacuation_drills_route_id_routes_id_fk" FOREIGN KEY ("route_id") REFERENCES "public"."routes"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evacuation_drills" ADD CONSTRAINT "evacuation_drills_recorded_by_user_id_users_id_fk" FOREIGN KEY ("recorded_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pre_trip_checks" ADD CONSTRAINT "pre_trip_checks_school_id_schools_id_fk" FOREIGN KEY ("school_id") REFERENCES "public"."schools"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pre_trip_checks" ADD CONSTRAINT "pre_trip_checks_bus_id_buses_id_fk" FOREIGN KEY ("bus_id") REFERENCES "public"."buses"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pre_trip_checks" ADD CONSTRAINT "pre_trip_checks_trip_id_trips_id_fk" FOREIGN KEY ("trip_id") REFERENCES "public"."trips"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pre_trip_checks" ADD CONSTRAINT "pre_trip_checks_recorded_by_user_id_users_id_fk" FOREIGN KEY ("recorded_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pre_trip_checks" ADD CONSTRAINT "pre_trip_checks_violation_id_violations_id_fk" FOREIGN KEY ("violation_id") REFERENCES "public"."violations"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "bus_inspections_bus_week_idx" ON "bus_inspections" USING btree ("bus_id","week_start");--> statement-breakpoint
CREATE INDEX "bus_inspections_school_week_idx" ON "bus_inspections" USING btree ("school_id","week_start");--> statement-breakpoint
CREATE INDEX "driver_trainings_driver_idx" ON "driver_trainings" USING btree ("driver_id","held_on");--> statement-breakpoint
CREATE INDEX "evacuation_drill_photos_drill_idx" ON "evacuation_drill_photos" USING btree ("drill_id","seq");--> statement-breakpoint
CREATE INDEX "evacuation_drills_school_idx" ON "evacuation_drills" USING btree ("school_id","held_on");--> statement-breakpoint
CREATE INDEX "pre_trip_checks_bus_date_idx" ON "pre_trip_checks" USING btree ("bus_id","service_date");--> statement-breakpoint
CREATE INDEX "pre_trip_checks_school_date_idx" ON "pre_trip_checks" USING btree ("school_id","service_date");