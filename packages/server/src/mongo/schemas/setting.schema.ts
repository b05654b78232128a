import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** A server-wide setting shared by every replica (the content URL signing secret, the catalogue epoch). */
@Schema({ collection: 'settings', versionKey: false, _id: false })
export class SettingDoc {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: String, required: true }) value!: string;
}

export const SettingSchema = SchemaFactory.createForClass(SettingDoc);
