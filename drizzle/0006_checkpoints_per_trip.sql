ALTER TABLE "engine_checkpoints" DROP CONSTRAINT "engine_checkpoints_trip_id_trips_id_fk";
--> statement-breakpoint
-- Checkpoints move from one per bus to one per trip (the primary key was the bus, named by PostgreSQL).
DELETE FROM "engine_checkpoints" WHERE "trip_id" IS NULL;--> statement-breakpoint
ALTER TABLE "engine_checkpoints" DROP CONSTRAINT "engine_checkpoints_pkey";--> statement-breakpoint
ALTER TABLE "engine_checkpoints" ALTER COLUMN "trip_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "engine_checkpoints" ADD CONSTRAINT "engine_checkpoints_trip_pk" PRIMARY KEY("trip_id");--> statement-breakpoint
ALTER TABLE "engine_checkpoints" ADD CONSTRAINT "engine_checkpoints_trip_id_trips_id_fk" FOREIGN KEY ("trip_id") REFERENCES "public"."trips"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "engine_checkpoints_bus_idx" ON "engine_checkpoints" USING btree ("bus_id");