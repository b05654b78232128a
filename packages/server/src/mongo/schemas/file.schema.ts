import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** One catalogued file. Unique per (hostname, filepath); found by hash for dedup and clone listing. */
@Schema({ collection: 'files', versionKey: false })
export class FileDoc {
  @Prop({ type: String, required: true }) hostname!: string;
  @Prop({ type: String, required: true }) filepath!: string;
  @Prop({ type: String, default: '' }) ip_address!: string;
  @Prop({ type: String, required: true }) sha256!: string;
  @Prop({ type: Number, required: true }) file_size!: number;
  @Prop({ type: Number, required: true }) file_mode!: number;
  @Prop({ type: Number, required: true }) file_uid!: number;
  @Prop({ type: Number, required: true }) file_gid!: number;
  @Prop({ type: Number, required: true }) file_mtime!: number;
  @Prop({ type: Number, required: true }) file_atime!: number;
  @Prop({ type: Number, required: true }) file_ctime!: number;
  @Prop({ type: Boolean, required: true }) is_symlink!: boolean;
  @Prop({ type: String, default: null }) link_target!: string | null;
  @Prop({ type: String, required: true }) created_at!: string;
  @Prop({ type: String, required: true }) updated_at!: string;
  /** Whether the store lacks the record's content (mongo/content-gaps.ts); never part of a FileRecord. */
  @Prop({ type: Boolean }) content_missing?: boolean;
}

export const FileSchema = SchemaFactory.createForClass(FileDoc);
FileSchema.index({ hostname: 1, filepath: 1 }, { unique: true });
FileSchema.index({ sha256: 1, hostname: 1, filepath: 1 });
FileSchema.index({ filepath: 1, hostname: 1 });
FileSchema.index({ hostname: 1, content_missing: 1 });
