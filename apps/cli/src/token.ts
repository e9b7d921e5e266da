/** `parley token`: mint a room token for servers started with --room-secret. */
import { mintRoomToken } from '@parley/server';
import { Command, InvalidArgumentError, Option } from 'commander';

export function tokenCommand(): Command {
  return new Command('token')
    .description('print a room token (HS256 JWT) for a server started with --room-secret')
    .requiredOption('-r, --room <room>', 'the room the token opens ("*" for any)')
    .addOption(
      new Option('-s, --secret <secret>', 'the shared secret')
        .env('PARLEY_ROOM_SECRET')
        .makeOptionMandatory(),
    )
    .addOption(new Option('--ttl <seconds>', 'lifetime in seconds').default(3600).argParser(ttl))
    .option('--sub <subject>', 'who the token is for (informational)')
    .addHelpText('after', '\nExample:\n  parley token --room demo --secret "$PARLEY_ROOM_SECRET" --ttl 600')
    .action((flags: { room: string; secret: string; ttl: number; sub?: string }) => {
      console.log(mintRoomToken(flags.secret, flags.room, flags.ttl, flags.sub));
    });
}

function ttl(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('a positive whole number of seconds');
  return n;
}
