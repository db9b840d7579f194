import type { Blocker } from 'react-router';
import ConfirmDialog from '../common/ConfirmDialog';

/** The versioned editors' two questions: a save refused because someone saved first (`conflict`
 * is its message, null when there is none), and leaving with unsaved changes. */
export default function EditGuards({
  what,
  conflict,
  blocker,
  onReload,
  onKeepEditing,
}: {
  what: 'crew' | 'flow';
  conflict: string | null;
  blocker: Blocker;
  onReload: () => void;
  onKeepEditing: () => void;
}) {
  return (
    <>
      <ConfirmDialog
        open={conflict !== null}
        title={`This ${what} was changed elsewhere`}
        message={
          <>
            {conflict || 'Someone saved a newer version since you opened it.'} Your changes were not saved. Reload to get the
            latest version (your unsaved changes will be lost), or keep editing and copy what you need first.
          </>
        }
        confirmLabel="Reload latest version"
        cancelLabel="Keep editing"
        destructive
        onConfirm={onReload}
        onCancel={onKeepEditing}
      />
      <ConfirmDialog
        open={blocker.state === 'blocked'}
        title="Leave without saving?"
        message={`You have unsaved changes to this ${what}. They will be lost.`}
        confirmLabel="Leave"
        cancelLabel="Stay"
        destructive
        onConfirm={() => blocker.proceed?.()}
        onCancel={() => blocker.reset?.()}
      />
    </>
  );
}
