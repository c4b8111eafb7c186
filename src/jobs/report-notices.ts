// Report delivery to supervisors (通报): when a scheduled report is stored, the supervisors overseeing its school —
// or, for the district report, the district supervisors — get a staff notice pointing at it (once per report).
import type { DbOrTx } from '../store/db';
import { insertStaffNotices, schoolStaff } from '../store/repos/case-deadlines-repo';

const kindZh: Record<string, string> = {
  daily: '日报',
  weekly: '周报',
  monthly: '月报',
  halfYear: '学期（半年）报告',
  yearly: '年度报告',
};

export async function noticeReportReady(
  db: DbOrTx,
  r: { id: number; kind: string; periodKey: string; schoolId: number | null; schoolName?: string },
): Promise<number> {
  const { supervisors } = await schoolStaff(db, r.schoolId);
  const scopeZh = r.schoolId == null ? '全区（县）' : (r.schoolName ?? `学校 ${r.schoolId}`);
  const scopeEn = r.schoolId == null ? 'District' : (r.schoolName ?? `School ${r.schoolId}`);
  const ids = await insertStaffNotices(
    db,
    supervisors.map((userId) => ({
      userId,
      kind: 'reportReady' as const,
      dedupeKey: `reportReady:${r.id}:${r.periodKey}:${userId}`,
      payload: { reportId: r.id, kind: r.kind, periodKey: r.periodKey, schoolId: r.schoolId },
      textZh: `${scopeZh} ${r.periodKey} ${kindZh[r.kind] ?? r.kind}已生成，含隐患排查整治清单。`,
      textEn: `${scopeEn} ${r.kind} report ${r.periodKey} is ready, with the list of cases.`,
    })),
  );
  return ids.length;
}
