// The trip context the engine runs against: everything but the inputs and the state.
import type { RuleConfig } from './presets/types';
import type { PreparedRoute } from './route';
import type { FatigueCarry } from './rules/fatigue';

export type Id = string | number;

export interface DriverRecord {
  id: string;
  name?: string;
  /** YYYY-MM-DD */
  birthDate?: string;
  /** e.g. 'A1', 'B1', 'C1' */
  licenceClass?: string;
  /** YYYY-MM-DD, first issue of the licence */
  licensedSince?: string;
  /** YYYY-MM-DD, the driving licence's last valid day (when the registry holds it) */
  licenceValidUntil?: string;
  /** 准许驾驶校车 */
  schoolBusEndorsement?: boolean;
  /** 从业资格证 */
  qualificationCertificateNo?: string;
  /** YYYY-MM-DD */
  qualificationExpiry?: string;
  /** YYYY-MM-DD: the annual review is due by this date */
  annualReviewDue?: string;
  idCardNo?: string;
}

export interface BusInfo {
  id: Id;
  plate?: string;
  seats: number;
  /** 核载人数 */
  approvedCapacity: number;
  /** YYYY-MM-DD, school-bus sign (校车标牌) valid until */
  signValidUntil?: string;
  /** YYYY-MM-DD, vehicle inspection valid until */
  inspectionValidUntil?: string;
}

export interface AttendantInfo {
  id: string;
  name?: string;
  checkedIn: boolean;
}

export interface TripContext {
  busId: Id;
  tripId: Id;
  routeId: Id;
  schoolId?: Id;
  route: PreparedRoute;
  bus: BusInfo;
  /** the driver assigned to this trip */
  assignedDriverId?: string;
  attendant?: AttendantInfo | null;
  /** roster the driver-card events are checked against */
  drivers: ReadonlyArray<DriverRecord>;
  /** merged configuration (preset + overrides); read on every input, so a change applies at once */
  config: RuleConfig;
  /** manual low-visibility switch for the school or region */
  lowVisibility?: boolean;
  plannedStartMs?: number;
  plannedEndMs?: number;
  /** start the trip automatically when the bus moves onto its route in the planned window (default true) */
  autoStart?: boolean;
  /** offset of local time from UTC for date-only registry fields (default +480, China) */
  utcOffsetMin?: number;
  /** the route's riders: student id → the stop assigned to them on this route */
  riderStops?: Readonly<Record<string, string>>;
  /** the school's stops on this route (where any child may get on or off: the last stop in the morning) */
  schoolStopIds?: ReadonlyArray<string>;
  /** per driver id: the continuous-driving block they drove earlier today on other trips or buses (R5) */
  fatigueCarry?: Readonly<Record<string, FatigueCarry>>;
}
