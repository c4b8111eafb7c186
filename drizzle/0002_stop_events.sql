CREATE TABLE "stop_events" (
	"trip_id" integer NOT NULL,
	"stop_id" integer NOT NULL,
	"kind" text NOT NULL,
	"time" timestamp with time zone NOT NULL,
	"dwell_s" integer,
	CONSTRAINT "stop_events_trip_id_stop_id_kind_pk" PRIMARY KEY("trip_id","stop_id","kind")
);
--> statement-breakpoint
ALTER TABLE "stop_events" ADD CONSTRAINT "stop_events_trip_id_trips_id_fk" FOREIGN KEY ("trip_id") REFERENCES "public"."trips"("id") ON DELETE cascade ON UPDATE no action;