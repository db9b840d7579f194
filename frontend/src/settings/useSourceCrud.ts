/**
 * The add / edit / delete cycle every tool-source settings page shares (connections, OpenAPI
 * documents, MCP servers): which form is open, saving with the server's complaints on the form's
 * fields, deleting after a confirmation, and refreshing what shows the sources.
 */
import { useMutation, useQueryClient, type QueryKey } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../api/client';
import { notify } from '../common/notify';
import { formErrors, type FormErrors } from './serverErrors';

export interface SourceApi<T, C, U> {
  create: (body: C) => Promise<T>;
  update: (id: string, body: U) => Promise<T>;
  remove: (id: string) => Promise<unknown>;
}

export interface SourceCrudOptions<T, C, U, F extends string> {
  api: SourceApi<T, C, U>;
  /** The form's fields, and the error codes that belong on one of them. */
  fields: readonly F[];
  fieldOfCode: Partial<Record<string, F>>;
  /** Queries showing these sources (the list, the tool catalog...). */
  refresh: readonly QueryKey[];
  /** The notice after a save. */
  savedMessage: (saved: T, created: boolean) => string;
  /** What else a save changes on the page. */
  onSaved?: (saved: T) => void;
  deletedMessage: string;
}

/** What a settings form of a source takes. */
export interface SourceFormProps<T, C, U, F extends string> {
  editing?: T;
  busy?: boolean;
  serverErrors?: Partial<Record<F, string>>;
  error?: string | null;
  onSubmit: (body: C | U) => void;
  onCancel: () => void;
}

/** What the page around the table uses: the Add button and the delete confirmation. */
export interface SourceCrud<T extends { id: string }> {
  open: (source: T | null) => void;
  deleting: T | null;
  setDeleting: (source: T | null) => void;
  remove: { isPending: boolean; mutate: (id: string) => void };
}

const NO_ERRORS = { fields: {}, form: null };

export function useSourceCrud<T extends { id: string }, C, U, F extends string>(options: SourceCrudOptions<T, C, U, F>) {
  const qc = useQueryClient();
  /** The open form: a new source (null) or the one edited; undefined when closed. */
  const [editing, setEditing] = useState<T | null | undefined>(undefined);
  const [deleting, setDeleting] = useState<T | null>(null);
  const [saveErrors, setSaveErrors] = useState<FormErrors<F>>(NO_ERRORS);
  const refresh = () => options.refresh.forEach((queryKey) => void qc.invalidateQueries({ queryKey }));
  const save = useMutation({
    mutationFn: (body: C | U) => (editing ? options.api.update(editing.id, body as U) : options.api.create(body as C)),
    onMutate: () => setSaveErrors(NO_ERRORS),
    onSuccess: (saved) => {
      notify(options.savedMessage(saved, !editing), 'success');
      options.onSaved?.(saved);
      setEditing(undefined);
      refresh();
    },
    onError: (e) => setSaveErrors(formErrors(e, options.fields, options.fieldOfCode)),
  });
  const remove = useMutation({
    mutationFn: (id: string) => options.api.remove(id),
    onSuccess: () => {
      setDeleting(null);
      notify(options.deletedMessage, 'success');
      refresh();
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  const open = (source: T | null) => {
    setSaveErrors(NO_ERRORS);
    setEditing(source);
  };
  /** The props of the open form, or null when none is open. */
  const formProps: SourceFormProps<T, C, U, F> | null =
    editing === undefined
      ? null
      : {
          editing: editing ?? undefined,
          busy: save.isPending,
          serverErrors: saveErrors.fields,
          error: saveErrors.form,
          onSubmit: (body) => save.mutate(body),
          onCancel: () => setEditing(undefined),
        };
  return { open, formProps, deleting, setDeleting, remove, refresh };
}


/** Switching a source on or off from its row. */
export function useEnabledToggle<T extends { id: string; enabled: boolean }>(update: (id: string, body: { enabled: boolean }) => Promise<T>, refresh: () => void) {
  return useMutation({
    mutationFn: (source: T) => update(source.id, { enabled: !source.enabled }),
    onSuccess: refresh,
    onError: (e) => notify(errorMessage(e), 'error'),
  });
}
