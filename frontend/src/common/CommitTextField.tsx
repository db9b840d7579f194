import TextField, { type TextFieldProps } from '@mui/material/TextField';
import { useState, type KeyboardEvent } from 'react';

export type CommitTextFieldProps = Omit<TextFieldProps, 'value' | 'onChange' | 'onBlur' | 'error'> & {
  value: string;
  /** Called on blur (or Enter in a single-line field) when the text changed. */
  onCommit: (value: string) => void;
  /** An error message for the current text, or null. */
  validate?: (value: string) => string | null;
  /** Commit even when `validate` reports an error (the node then shows the problem). */
  commitInvalid?: boolean;
};

/**
 * A text field that edits a local draft and hands the value over when the user is done with it,
 * so the document (and its undo history) gets one change per edit, not one per keystroke.
 */
export default function CommitTextField({
  value,
  onCommit,
  validate,
  commitInvalid = false,
  helperText,
  multiline,
  ...rest
}: CommitTextFieldProps) {
  const [draft, setDraft] = useState(value);
  const [prev, setPrev] = useState(value);
  const [touched, setTouched] = useState(false);
  if (value !== prev) {
    // The document changed under us (undo, another field): show the new value.
    setPrev(value);
    setDraft(value);
  }
  const error = validate ? validate(draft) : null;
  const commit = () => {
    setTouched(true);
    if (draft === value) return;
    if (error && !commitInvalid) return;
    onCommit(draft);
  };
  return (
    <TextField
      {...rest}
      multiline={multiline}
      value={draft}
      onChange={(e) => setDraft(e.target.value)}
      onBlur={commit}
      onKeyDown={(e: KeyboardEvent<HTMLDivElement>) => {
        if (e.key === 'Enter' && !multiline) commit();
        if (e.key === 'Escape') setDraft(value);
      }}
      error={Boolean(error) && (touched || draft !== value)}
      helperText={(error && (touched || draft !== value) ? error : helperText) ?? ' '}
    />
  );
}
