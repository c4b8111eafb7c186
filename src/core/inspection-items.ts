// The checklist of a pre-trip check and of a weekly inspection (pure; the pages read it too).

/** Art. 41 items, then the safety equipment every school bus carries. */
export const inspectionItems = [
  'brakes',
  'steering',
  'lights',
  'tyres',
  'emergencyExits',
  'seatsAndBelts',
  'extinguisher',
  'firstAidKit',
  'escapeHammer',
  'schoolBusSign',
  'signalLamps',
] as const;
export type InspectionItem = (typeof inspectionItems)[number];
