// The checklist items' names (pre-trip check on the attendant page, weekly inspection on the manager page).
import type { Dict } from './i18n';

export const inspectionItemsEn: Dict = {
  'pt.item.brakes': 'Brakes',
  'pt.item.steering': 'Steering',
  'pt.item.lights': 'Lights',
  'pt.item.tyres': 'Tyres',
  'pt.item.emergencyExits': 'Emergency exits',
  'pt.item.seatsAndBelts': 'Seats and seat belts',
  'pt.item.extinguisher': 'Fire extinguisher',
  'pt.item.firstAidKit': 'First-aid kit',
  'pt.item.escapeHammer': 'Escape hammer',
  'pt.item.schoolBusSign': 'School-bus sign',
  'pt.item.signalLamps': 'Signal lamps',
};

export const inspectionItemsZh: Dict = {
  'pt.item.brakes': '制动（刹车）',
  'pt.item.steering': '转向',
  'pt.item.lights': '灯光',
  'pt.item.tyres': '轮胎',
  'pt.item.emergencyExits': '安全出口',
  'pt.item.seatsAndBelts': '座椅及安全带',
  'pt.item.extinguisher': '灭火器',
  'pt.item.firstAidKit': '急救箱',
  'pt.item.escapeHammer': '安全锤',
  'pt.item.schoolBusSign': '校车标牌',
  'pt.item.signalLamps': '校车标志灯',
};
