CREATE TABLE "driver_accumulators" (
	"driver_id" integer NOT NULL,
	"service_day" date NOT NULL,
	"state" jsonb NOT NULL,
	"last_at" timestamp with time zone NOT NULL,
	"trip_id" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "driver_accumulators_pk" PRIMARY KEY("driver_id","service_day")
);
--> statement-breakpoint
ALTER TABLE "driver_accumulators" ADD CONSTRAINT "driver_accumulators_driver_id_drivers_id_fk" FOREIGN KEY ("driver_id") REFERENCES "public"."drivers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "driver_accumulators" ADD CONSTRAINT "driver_accumulators_trip_id_trips_id_fk" FOREIGN KEY ("trip_id") REFERENCES "public"."trips"("id") ON DELETE set null ON UPDATE no action;