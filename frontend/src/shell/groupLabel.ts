import type { Group } from '../api/types';

/** A group's name, marked when personal. The server already names a user's personal group
 * "<name> (personal)": say it once. */
export function groupLabel(g: Pick<Group, 'name' | 'is_personal'>): string {
  return g.is_personal && !/\(personal\)$/i.test(g.name.trim()) ? `${g.name} (personal)` : g.name;
}
