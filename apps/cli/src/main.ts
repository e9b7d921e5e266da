/** The `parley` command. */
import { Command } from 'commander';
import { doctorCommand } from './doctor/command.js';
import { natCommand } from './nat.js';
import { receiveCommand } from './receive.js';
import { sendCommand } from './send.js';
import { serveCommand } from './serve.js';
import { tokenCommand } from './token.js';

const program = new Command('parley')
  .description('Parley: self-hostable WebRTC — signaling, STUN/TURN and a web app in one command')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .addCommand(serveCommand())
  .addCommand(tokenCommand())
  .addCommand(doctorCommand())
  .addCommand(natCommand())
  .addCommand(sendCommand())
  .addCommand(receiveCommand());

await program.parseAsync(process.argv);
