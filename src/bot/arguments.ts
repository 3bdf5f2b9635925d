// The shapes of commands' arguments. Their messages are keys of `m.commands.arguments`, so that a refusal is
// told in the reader's language.
import { z } from 'zod';

export const noArguments = z.array(z.string()).max(0, '@no_arguments');
export const atMostOneCommandName = z.array(z.string()).max(1, '@one_command_name');
export const someAssignments = z.array(z.string()).min(1, '@some_assignments');
export const someFields = z.array(z.string()).min(1, '@some_fields');
