// Guardian notice texts in Chinese (zh-CN) and English. Pure: the caller passes every value shown.

export const noticeKinds = [
  'trip.started',
  'trip.late',
  'approaching',
  'stop.arrived',
  'stop.departed',
  'school.arrived',
  'bus.substituted',
  'student.boarded',
  'student.alighted',
  'trip.cancelled',
  'student.notBoarded',
  'student.wrongBus',
] as const;
export type NoticeKind = (typeof noticeKinds)[number];

export interface NoticeTextInput {
  plate?: string | null;
  stopName?: string | null;
  studentName?: string | null;
  minutes?: number;
  metres?: number;
  /** trip.late: 'notStarted' (no departure yet) or 'eta' (running behind the timetable) */
  lateReason?: 'notStarted' | 'eta';
  /** trip.late: this notice updates an earlier one (the delay changed) */
  lateUpdate?: boolean;
  /** student.alighted: the child got off at school */
  atSchool?: boolean;
  /** student.wrongBus: the plate of the child's usual bus, if known */
  expectedPlate?: string | null;
}

const zhStop = (s?: string | null) => (s ? `“${s}”站` : '站点');
const enStop = (s?: string | null) => (s ? `the ${s} stop` : 'the stop');
const zhBus = (p?: string | null) => (p ? `校车（${p}）` : '校车');
const enBus = (p?: string | null) => (p ? `The school bus (${p})` : 'The school bus');

export function noticeText(kind: NoticeKind, v: NoticeTextInput): { textZh: string; textEn: string } {
  const min = Math.max(1, Math.round(v.minutes ?? 0));
  switch (kind) {
    case 'trip.started':
      return { textZh: `${zhBus(v.plate)}已发车。`, textEn: `${enBus(v.plate)} has started its trip.` };
    case 'trip.late':
      if (v.lateUpdate && v.lateReason !== 'notStarted')
        return {
          textZh: `晚点更新：${zhBus(v.plate)}现预计晚到${zhStop(v.stopName)}约${min}分钟。`,
          textEn: `Update: ${enBus(v.plate).replace(/^The/, 'the')} is now about ${min} min late for ${enStop(v.stopName)}.`,
        };
      return v.lateReason === 'notStarted'
        ? {
            textZh: `${zhBus(v.plate)}尚未发车，已晚于计划时间${min}分钟。`,
            textEn: `${enBus(v.plate)} has not started yet: ${min} min after the planned start.`,
          }
        : {
            textZh: `${zhBus(v.plate)}预计晚到${zhStop(v.stopName)}约${min}分钟。`,
            textEn: `${enBus(v.plate)} is running about ${min} min late for ${enStop(v.stopName)}.`,
          };
    case 'approaching':
      if (v.metres != null && v.minutes == null) {
        const m = Math.round(v.metres);
        return {
          textZh: `${zhBus(v.plate)}即将到达${zhStop(v.stopName)}，距离约${m}米。`,
          textEn: `${enBus(v.plate)} is approaching ${enStop(v.stopName)}: about ${m} m away.`,
        };
      }
      return {
        textZh: `${zhBus(v.plate)}即将到达${zhStop(v.stopName)}，预计${min}分钟后到站。`,
        textEn: `${enBus(v.plate)} is approaching ${enStop(v.stopName)}: about ${min} min away.`,
      };
    case 'stop.arrived':
      return {
        textZh: `${zhBus(v.plate)}已到达${zhStop(v.stopName)}。`,
        textEn: `${enBus(v.plate)} has arrived at ${enStop(v.stopName)}.`,
      };
    case 'stop.departed':
      return {
        textZh: `${zhBus(v.plate)}已离开${zhStop(v.stopName)}。`,
        textEn: `${enBus(v.plate)} has left ${enStop(v.stopName)}.`,
      };
    case 'school.arrived':
      return { textZh: `${zhBus(v.plate)}已到达学校。`, textEn: `${enBus(v.plate)} has arrived at school.` };
    case 'bus.substituted':
      return {
        textZh: `今日行程已更换车辆，请认准${zhBus(v.plate)}。`,
        textEn: `Today's trip now runs with a different bus: look for ${enBus(v.plate).replace(/^The/, 'the')}.`,
      };
    case 'student.boarded':
      return {
        textZh: `${v.studentName ?? '孩子'}已上车。`,
        textEn: `${v.studentName ?? 'Your child'} has boarded the bus.`,
      };
    case 'student.alighted':
      if (v.atSchool)
        return {
          textZh: `${v.studentName ?? '孩子'}已到校下车。`,
          textEn: `${v.studentName ?? 'Your child'} got off the bus at school.`,
        };
      return v.stopName
        ? {
            textZh: `${v.studentName ?? '孩子'}已在${zhStop(v.stopName)}下车。`,
            textEn: `${v.studentName ?? 'Your child'} got off the bus at ${enStop(v.stopName)}.`,
          }
        : { textZh: `${v.studentName ?? '孩子'}已下车。`, textEn: `${v.studentName ?? 'Your child'} got off the bus.` };
    case 'trip.cancelled':
      return {
        textZh: `今日${zhBus(v.plate)}行程已取消，请另行安排接送。`,
        textEn: `Today's trip of ${enBus(v.plate).replace(/^The/, 'the')} is cancelled: please make other arrangements.`,
      };
    case 'student.notBoarded':
      return {
        textZh: `${zhBus(v.plate)}已离开${zhStop(v.stopName)}，但没有${v.studentName ?? '孩子'}的上车记录。`,
        textEn: `${enBus(v.plate)} has left ${enStop(v.stopName)} with no boarding record for ${v.studentName ?? 'your child'}.`,
      };
    case 'student.wrongBus':
      return {
        textZh: `${v.studentName ?? '孩子'}上了${zhBus(v.plate)}${v.expectedPlate ? `，不是平时乘坐的校车（${v.expectedPlate}）` : '，不是平时乘坐的校车'}。`,
        textEn: `${v.studentName ?? 'Your child'} boarded ${enBus(v.plate).replace(/^The/, 'the')}, not their usual bus${v.expectedPlate ? ` (${v.expectedPlate})` : ''}.`,
      };
  }
}
