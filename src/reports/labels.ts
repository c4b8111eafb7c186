// Words for codes in reports and staff notices, in zh-CN and English (an unknown code shows as itself).
import type { ReportLang } from './text';

const kinds: Record<string, [string, string]> = {
  overspeed: ['超速', 'overspeed'],
  overCapacity: ['超员', 'over capacity'],
  routeDeviation: ['偏离线路', 'route deviation'],
  offStopBoarding: ['站外上下学生', 'boarding off a stop'],
  fatigue: ['疲劳驾驶', 'fatigue'],
  fatiguePreWarning: ['疲劳驾驶预警', 'fatigue pre-warning'],
  driverCredentials: ['驾驶人资格', 'driver credentials'],
  noDriver: ['无驾驶人登签', 'no driver'],
  deviceOffline: ['设备离线', 'device offline'],
  deviceTampered: ['设备被干扰', 'device tampered'],
  unlicensedBus: ['无牌/未许可校车', 'unlicensed bus'],
  noAttendant: ['无随车照管人员', 'no attendant'],
  childLeftOnBoard: ['学生滞留车内', 'child left on board'],
  emergency: ['紧急报警', 'emergency'],
  stopSkipped: ['过站不停', 'stop skipped'],
  hazardReport: ['隐患举报', 'hazard report'],
  preTripCheckFailed: ['出车前检查不合格', 'pre-trip check failed'],
  deviceSilent: ['设备24小时未上线（应装未装/人为关闭）', 'no device heard in 24 h'],
  wrongBus: ['乘错车', 'wrong bus'],
  wrongStop: ['错站下车', 'wrong stop'],
  unknownCard: ['未登记的学生卡', 'unknown card'],
  complianceExpiry: ['证照到期', 'registry expiry'],
};

const statuses: Record<string, [string, string]> = {
  open: ['待处理', 'open'],
  acknowledged: ['已受理', 'acknowledged'],
  rectifying: ['整改中', 'rectifying'],
  closed: ['已销账', 'closed'],
  dismissed: ['已撤销', 'dismissed'],
};

const severities: Record<string, [string, string]> = {
  critical: ['重大', 'critical'],
  major: ['较大', 'major'],
  minor: ['一般', 'minor'],
};

const pick = (table: Record<string, [string, string]>, code: string, lang: ReportLang) =>
  table[code]?.[lang === 'zh-CN' ? 0 : 1] ?? code;

export const kindLabel = (code: string, lang: ReportLang) => pick(kinds, code, lang);
export const statusLabel = (code: string, lang: ReportLang) => pick(statuses, code, lang);
export const severityLabel = (code: string, lang: ReportLang) => pick(severities, code, lang);
