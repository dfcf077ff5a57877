/**
 * A form field that shows a stored value (Settings' display name) and follows it when it changes
 * elsewhere (another device of mine), unless the person has edited the field: their typing stays.
 */

/** The field's value once the stored value went from `was` to `now`: `now` while the field still shows `was`. */
export const followField = (field: string, was: string, now: string): string => (field === was ? now : field);
