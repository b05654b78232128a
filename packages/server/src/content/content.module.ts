import { Module } from '@nestjs/common';
import { AdminController } from './admin.controller.js';
import { ContentController } from './content.controller.js';
import { ContentService } from './content.service.js';
import { GcService } from './gc.service.js';
import { TusController } from './tus/tus.controller.js';
import { TusSessions } from './tus/tus-sessions.js';
import { VerifyService } from './verify.service.js';

@Module({
  controllers: [ContentController, TusController, AdminController],
  providers: [ContentService, GcService, VerifyService, TusSessions],
  exports: [ContentService, GcService, VerifyService, TusSessions],
})
export class ContentModule {}
