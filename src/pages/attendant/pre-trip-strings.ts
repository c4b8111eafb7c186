// Strings of the pre-trip check on the attendant page (spread into ./strings.ts), zh-CN and English.
import type { Dict } from '../shared/i18n';
import { inspectionItemsEn, inspectionItemsZh } from '../shared/inspection-item-strings';

export const preTripEn: Dict = {
  ...inspectionItemsEn,
  'pt.title': 'Pre-trip check',
  'pt.help': 'Walk round the bus before the trip and mark every item.',
  'pt.performedBy': 'Checked by',
  'pt.by.attendant': 'Attendant (me)',
  'pt.by.driver': 'Driver',
  'pt.ok': 'OK',
  'pt.fault': 'Fault',
  'pt.allOk': 'All OK',
  'pt.note': 'What is wrong with: {item}',
  'pt.submit': 'Submit the check',
  'pt.unanswered': '{n} item(s) still to mark',
  'pt.passed': 'Pre-trip check passed at {time}.',
  'pt.failed':
    'Pre-trip check FAILED ({items}): reported to the managers. Fix the bus and check again before check-in.',
  'pt.required': 'Your school requires this check before check-in.',
  'pt.offline': 'The check needs the network: try again once online.',
  'err.pre_trip_check_failed': 'Check-in refused: the pre-trip check failed. Fix the bus and check again.',
  'err.pre_trip_check_missing': 'Check-in refused: record the pre-trip check first.',
  'err.route_not_approved': 'Check-in refused: this route is not approved.',
  'err.bus_not_in_service': 'Check-in refused: this bus is in maintenance or retired.',
};

export const preTripZh: Dict = {
  ...inspectionItemsZh,
  'pt.title': '出车前检查',
  'pt.help': '出车前绕车检查，逐项标记。',
  'pt.performedBy': '检查人',
  'pt.by.attendant': '照管员（本人）',
  'pt.by.driver': '驾驶人',
  'pt.ok': '正常',
  'pt.fault': '故障',
  'pt.allOk': '全部正常',
  'pt.note': '{item}的问题',
  'pt.submit': '提交检查',
  'pt.unanswered': '还有 {n} 项未标记',
  'pt.passed': '出车前检查合格（{time}）。',
  'pt.failed': '出车前检查不合格（{items}），已上报管理人员。请修复后重新检查，再签到。',
  'pt.required': '本校要求签到前完成出车前检查。',
  'pt.offline': '检查需要网络，请联网后重试。',
  'err.pre_trip_check_failed': '无法签到：出车前检查不合格，请修复后重新检查。',
  'err.pre_trip_check_missing': '无法签到：请先完成出车前检查。',
  'err.route_not_approved': '无法签到：该线路未经审批。',
  'err.bus_not_in_service': '无法签到：该车辆正在维修或已报废。',
};
